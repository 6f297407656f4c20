package server

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/modules"
)

// The naamio subcommands that read or change the server's state are
// defined once, here, as commands (issue 16, item 1). A command's code
// runs in exactly one place: in the running server, against its open
// store and live services, when the CLI reaches it through the admin
// socket (admin.go); or in the CLI's own process, against the store it
// opens, when no server runs. Both paths parse the same arguments with
// the same function and run the same function; only the environment
// (cmdEnv) differs. A new command (backup, export, import) is one more
// entry in commands(), and its output lines stream back as it writes
// them. For such a command:
//   - what it needs of the running server's memory goes into cmdEnv
//     (liveEnv and offlineEnv), never a second copy of a live service;
//   - its output may be binary (a tar on stdout): frames carry bytes;
//     its input (a tar on stdin) streams too, once it first reads;
//   - progress goes to stderr through env.progress;
//   - a file named on the command line is opened by the CLI, not by the
//     server (another working directory, and the server's permissions):
//     an output file by naming its flag in command.outFlag (log -o FILE
//     does; FILE.partial until the command succeeds); an input file by
//     command.in, which finds it among the parsed arguments, a flag's
//     value (backup --since PREVIOUS) or a positional argument (import
//     POD FILE.tar): the CLI opens it and the command reads it as its
//     standard input, wherever it runs;
//   - it watches ctx: a CLI that goes away cancels it.

// command is one naamio subcommand that works on a data directory.
type command struct {
	name  string // the words after naamio, e.g. "acl set"
	usage string // printed with a usage error
	// create: offline, the command may create a new data directory.
	create bool
	// env names the environment variables the command reads from the
	// user's shell (cmdEnv.getenv): the CLI sends their values along to a
	// running server, which never reads its own environment for them.
	env []string
	// outFlag names the command's flag for an output file (-o FILE): the
	// CLI writes the command's standard output there (runCLI).
	outFlag string
	// in, if set, names the command's input file among its parsed
	// arguments ("" or "-": none, standard input as it is): a flag's value
	// (inFlag: backup --since PREVIOUS) or a positional argument (import
	// POD FILE.tar). The CLI opens it and passes it as the command's
	// standard input (runCLI), running or offline alike, so the server
	// never opens the user's files: the arguments it parses still name the
	// file, and the command reads standard input, never the name.
	in func(fs *flag.FlagSet) string
	// liveOnly: only a running server runs it (naamio health --data).
	liveOnly bool
	// parse defines the command's flags on fs (--data is defined
	// already), parses args and checks them, and returns the command's
	// work. It runs in the CLI first (a usage error needs no server and no
	// store), and again where the command runs.
	parse func(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error)
}

// cmdRun is a command's work. stdin is read only if the command needs it
// (a running server asks the CLI for it then).
type cmdRun func(ctx context.Context, env *cmdEnv, stdin io.Reader, stdout, stderr io.Writer) error

// cmdDefaults are the defaults of the flags that also configure a
// server: the running server's own configuration when it runs the
// command, else the CLI's environment (NAAMIO_BASE_URL, ...).
type cmdDefaults struct {
	baseURL   string
	podLayout string
}

func offlineDefaults() cmdDefaults {
	return cmdDefaults{baseURL: envOr("NAAMIO_BASE_URL", defaults().BaseURL),
		podLayout: envOr("NAAMIO_POD_LAYOUT", defaults().PodLayout)}
}

// cmdEnv is what a command works on. Everything a running server keeps
// in memory (the pod registry, the provider's signing keys, the
// federation key cache, the modules' live counters) is reached through
// it, so that a command changes the live state, not a copy the server
// would not see.
type cmdEnv struct {
	store *badgerstore.Store
	pods  *idp.Pods
	// running: the command runs in the server.
	running bool
	// getenv reads the user's environment (only command.env names).
	getenv func(string) string
	// tty: the user's standard error is a terminal (progress).
	tty bool
	// inputSize: the size of the command's input file, 0 if unknown
	// (a pipe, a terminal).
	inputSize int64
	// now is the clock of progress reports (nil: time.Now).
	now func() time.Time
	// accounts is the account service the commands use: one per command
	// offline; while running, one for all the admin commands (apart from
	// the server's own, whose settings — registration mode, the first
	// account becoming an administrator — do not apply to the operator's
	// commands), so that its bound on concurrent password hashes holds
	// for them all. The service keeps no account in memory.
	accounts func(ctx context.Context) (*account.Service, error)
	// rotateKeys makes a new signing key active and returns the keys.
	rotateKeys func(ctx context.Context) ([]op.KeyInfo, error)
	// installed lists the modules (live counters while running).
	installed func(ctx context.Context) ([]modules.Installed, error)
	// forgetFederation forgets a pod name's ActivityPub key and settings.
	forgetFederation func(ctx context.Context, pod string) error
	// revokeAccount revokes an account's access tokens and grants and
	// refuses it new tokens (the running provider's revocations, whose
	// in-memory set the resource server checks).
	revokeAccount func(ctx context.Context, accountID string) error
	// reinstateAccount lets the provider issue tokens again to an account
	// revokeAccount revoked, and says from when.
	reinstateAccount func(ctx context.Context, accountID string) (time.Time, error)
}

// offlineEnv is the environment of a command run on a stopped server's
// store st.
func offlineEnv(st *badgerstore.Store) (*cmdEnv, error) {
	pods, err := openPods(st)
	if err != nil {
		return nil, err
	}
	return &cmdEnv{
		store: st, pods: pods, getenv: os.Getenv,
		accounts: func(ctx context.Context) (*account.Service, error) { return openAccounts(ctx, st) },
		rotateKeys: func(ctx context.Context) ([]op.KeyInfo, error) {
			tokens, err := st.KV(kv.Tokens) // the provider's namespace (newIdentity)
			if err != nil {
				return nil, err
			}
			// The server's access tokens live op.DefaultAccessTokenTTL (it
			// has no setting for it), which bounds how long a retired key
			// stays published.
			return op.RotateKeys(ctx, tokens, op.DefaultAccessTokenTTL, time.Now())
		},
		installed: func(ctx context.Context) ([]modules.Installed, error) {
			records, err := st.KV(kv.Modules)
			if err != nil {
				return nil, err
			}
			return modules.ReadInstalled(ctx, records)
		},
		forgetFederation: func(ctx context.Context, pod string) error {
			records, err := st.KV(kv.Federation)
			if err != nil {
				return err
			}
			return federation.ForgetPod(ctx, records, pod)
		},
		revokeAccount: func(ctx context.Context, accountID string) error {
			tokens, err := st.KV(kv.Tokens)
			if err != nil {
				return err
			}
			rv, err := op.NewRevocations(ctx, op.RevocationOptions{KV: tokens})
			if err != nil {
				return err
			}
			return rv.RevokeAccount(ctx, accountID)
		},
		reinstateAccount: func(ctx context.Context, accountID string) (time.Time, error) {
			tokens, err := st.KV(kv.Tokens)
			if err != nil {
				return time.Time{}, err
			}
			rv, err := op.NewRevocations(ctx, op.RevocationOptions{KV: tokens})
			if err != nil {
				return time.Time{}, err
			}
			return rv.ReinstateAccount(ctx, accountID)
		},
	}, nil
}

// liveEnv is the environment of a command the running server s runs for
// a CLI whose environment variables are getenv; accounts is the admin
// commands' account service.
func (s *Server) liveEnv(getenv func(string) string, accounts func(context.Context) (*account.Service, error)) *cmdEnv {
	return &cmdEnv{
		store: s.store, pods: s.pods, running: true, getenv: getenv, accounts: accounts,
		rotateKeys: func(ctx context.Context) ([]op.KeyInfo, error) {
			// The provider installs the new key in memory as well: it signs
			// with it from now on.
			if err := s.id.op.Rotate(ctx); err != nil {
				return nil, err
			}
			tokens, err := s.store.KV(kv.Tokens)
			if err != nil {
				return nil, err
			}
			return op.ListKeys(ctx, tokens)
		},
		installed:        s.mods.Installed,
		revokeAccount:    s.id.op.RevokeAccount,
		reinstateAccount: s.id.op.ReinstateAccount,
		forgetFederation: func(ctx context.Context, pod string) error {
			records, err := s.store.KV(kv.Federation)
			if err != nil {
				return err
			}
			if err := federation.ForgetPod(ctx, records, pod); err != nil {
				return err
			}
			// The key store caches the pods' keys.
			if f, ok := fedKeys(s.fed).(interface {
				Forget(context.Context, string) error
			}); ok {
				return f.Forget(ctx, pod)
			}
			return nil
		},
	}
}

func fedKeys(f *federation.Service) any {
	if f == nil {
		return nil
	}
	return f.Keys()
}

// commands are the subcommands that work on a data directory.
func commands() []*command {
	return []*command{
		{name: "log", usage: logUsage, parse: parseLog, outFlag: "o"},
		{name: "acl show", usage: aclUsage, parse: parseACL(false)},
		{name: "acl set", usage: aclUsage, parse: parseACL(true), create: true},
		{name: "account create", usage: accountUsage, parse: parseAccountCreate, create: true, env: []string{"NAAMIO_PASSWORD"}},
		{name: "account reset-link", usage: accountUsage, parse: parseResetLink},
		{name: "account list", usage: accountUsage, parse: parseAccountList},
		{name: "account disable", usage: accountUsage, parse: parseAccountDisable},
		{name: "account enable", usage: accountUsage, parse: parseAccountEnable},
		{name: "pod release", usage: podUsage, parse: parsePodRelease},
		{name: "pod lock", usage: podUsage, parse: parsePodLock(true)},
		{name: "pod unlock", usage: podUsage, parse: parsePodLock(false)},
		{name: "pod quota", usage: podUsage, parse: parsePodQuota},
		{name: "keys list", usage: keysUsage, parse: parseKeys(false)},
		{name: "keys rotate", usage: keysUsage, parse: parseKeys(true)},
		{name: "module list", usage: moduleUsage, parse: parseModule("list")},
		{name: "module status", usage: moduleUsage, parse: parseModule("status")},
		{name: "module logs", usage: moduleUsage, parse: parseModule("logs")},
		{name: "health", parse: parseHealth, liveOnly: true},
		{name: "backup", usage: backupUsage, parse: parseBackup, outFlag: "o", in: inFlag("since")},
		{name: "export", usage: exportUsage, parse: parseExport, outFlag: "o"},
		{name: "import", usage: importUsage, parse: parseImport, in: importInFile, create: true},
	}
}

// inFlag is a command.in naming the value of the flag name.
func inFlag(name string) func(fs *flag.FlagSet) string {
	return func(fs *flag.FlagSet) string {
		if f := fs.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
}

// lookupCommand finds the command named name ("acl set").
func lookupCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// commandGroups are the first words of the commands with subcommands,
// with their usage.
var commandGroups = map[string]string{
	"acl": aclUsage, "account": accountUsage, "pod": podUsage, "keys": keysUsage, "module": moduleUsage,
}

// parseCommand parses args for c: the one place where a command's
// arguments are read, in the CLI and in the server alike. dir is the
// --data flag's value, out the value of c.outFlag ("" if none).
func parseCommand(c *command, d cmdDefaults, args []string, stderr io.Writer) (run cmdRun, dir, out string, err error) {
	run, dir, out, _, err = parseCommandIn(c, d, args, stderr)
	return run, dir, out, err
}

// parseCommandIn is parseCommand also returning c's input file (c.in;
// "" if none).
func parseCommandIn(c *command, d cmdDefaults, args []string, stderr io.Writer) (run cmdRun, dir, out, in string, err error) {
	newFlags := func(out io.Writer) (*flag.FlagSet, *string) {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		fs.SetOutput(out)
		fs.Usage = func() {
			fmt.Fprint(out, c.usage)
			fmt.Fprintf(out, "Flags of naamio %s (before or after the other arguments; -- ends them):\n", c.name)
			fs.PrintDefaults()
		}
		return fs, fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (env NAAMIO_DATA)")
	}
	// The command's flags, defined by a first parse of no arguments, tell
	// which flags take a value: the flags are moved before the other
	// arguments (naamio export POD -o FILE.tar), as the flag package
	// stops at the first argument that is not a flag.
	defs, _ := newFlags(io.Discard)
	_, _ = c.parse(defs, d, nil, io.Discard)
	fs, data := newFlags(stderr)
	run, err = c.parse(fs, d, flagsFirst(defs, args), stderr)
	if c.outFlag != "" {
		if f := fs.Lookup(c.outFlag); f != nil {
			out = f.Value.String()
		}
	}
	if c.in != nil && err == nil {
		if in = c.in(fs); in == "-" {
			in = ""
		}
	}
	return run, *data, out, in, err
}

// flagsFirst returns args with the flags of fs (and their values) moved
// before the other arguments, in their order. "--" ends the flags: what
// follows stays an argument. A lone "-" is an argument (standard input).
// A last flag missing its value leaves args as they are.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // flag.Parse says it is not defined
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 == len(args) {
			// A flag without its value: left where it is, so that it
			// takes no "--" for its value; the command says what is wrong.
			return args
		}
		i++
		flags = append(flags, args[i])
	}
	if len(rest) == 0 {
		return flags
	}
	return append(append(flags, "--"), rest...)
}

// runCLI is a command as the CLI runs it: through the running server's
// admin socket when one answers, else on the store opened here. With
// c.outFlag set, the output goes to that file, written here in both
// cases (the server's working directory and permissions are not the
// user's): first to FILE.partial, renamed to FILE when the command has
// succeeded; a failed command leaves FILE.partial, clearly incomplete.
func runCLI(c *command, args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	run, dir, outFile, inFile, err := parseCommandIn(c, offlineDefaults(), args, stderr)
	if err != nil {
		return err
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if inFile != "" {
		f, ferr := os.Open(inFile)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		stdin = f
	}
	if outFile != "" {
		f, ferr := os.OpenFile(outFile+".partial", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if ferr != nil {
			return ferr
		}
		// err below is runCLI's result.
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(outFile+".partial", outFile)
			}
			if err != nil {
				err = fmt.Errorf("%w (%s.partial is incomplete)", err, outFile)
			}
		}()
		stdout = f
	}
	ctx := context.Background()
	if running, err := adminRun(ctx, dir, c, args, stdin, stdout, stderr); running || err != nil {
		return err
	}
	st, err := openStopped(dir, c.create)
	if err != nil {
		return err
	}
	defer st.Close()
	env, err := offlineEnv(st)
	if err != nil {
		return err
	}
	env.tty = isTerminal(stderr)
	env.inputSize = inputSize(stdin)
	return run(ctx, env, stdin, stdout, stderr)
}

// groupCommand runs "naamio GROUP SUB ...".
func groupCommand(group string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if c := lookupCommand(group + " " + args[0]); c != nil {
			return runCLI(c, args[1:], stdin, stdout, stderr)
		}
		switch args[0] {
		case "-h", "-help", "--help", "help":
			fmt.Fprint(stdout, commandGroups[group])
			return flag.ErrHelp // exit 0, as naamio -h
		}
	}
	fmt.Fprint(stderr, commandGroups[group])
	var subs []string
	for _, c := range commands() {
		if sub, ok := strings.CutPrefix(c.name, group+" "); ok {
			subs = append(subs, sub)
		}
	}
	return fmt.Errorf("%s: %s expected", group, orList(subs))
}

func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

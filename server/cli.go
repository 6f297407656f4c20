package server

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp/badgerstore"
)

const usage = `Naamio: a self-hosted Solid pod server.

Usage:
  naamio serve [flags]              run the server (naamio serve -h lists the flags)
  naamio health [--listen|--url|--data]  exit 0 if the server answers its health check (for HEALTHCHECK)
  naamio version                    print the version, the commit it was built from and the Go version

These work on a data directory (--data DIR, default ./data, env NAAMIO_DATA):
through the admin socket DIR/admin.sock of the server running on it, or on
the directory itself when no server runs:
  naamio log [flags]                print the durable change log as JSON lines
  naamio acl show PATH              say which ACL governs PATH
  naamio acl set PATH < acl.ttl     replace an ACL (the owner's way back in)
  naamio account create             create an account with a pod and print its WebID
  naamio account reset-link         print a single-use password-reset link for an account
  naamio account list               list the accounts (email, pods, admin, disabled, created)
  naamio account disable EMAIL      refuse the account's log-ins and tokens (its pods keep serving public data)
  naamio account enable EMAIL       let a disabled account log in and get tokens again
  naamio pod release NAME           free a deleted account's pod name, removing its old WebID from every ACL
  naamio pod quota NAME [SIZE|default]  show or set a pod's storage quota
  naamio pod lock|unlock NAME       make Follow requests to the pod owner's ActivityPub account wait for approval, or not
  naamio keys rotate                make a new OpenID Provider signing key active
  naamio keys list                  list the signing keys (kid, created, retired)
  naamio module list|status|logs    the installed Wasm modules, a module's status, its log
  naamio backup [-o FILE] [--since PREVIOUS]  a point-in-time backup (full, or incremental after PREVIOUS)
  naamio export POD [-o FILE.tar]   a pod as a tar, laid out as the Community Solid Server's files
  naamio import POD FILE.tar        such a tar into a new or empty pod

  naamio restore --data NEWDIR FULL [INCREMENTAL...]  rebuild a data directory from backups
                                    (NEWDIR: new or empty; default ./data, env NAAMIO_DATA)

Flags may come before or after the other arguments; naamio COMMAND -h lists a command's flags.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	return mainWith(args, os.Stdin, stdout, stderr)
}

// mainWith is Main reading standard input from stdin.
func mainWith(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stderr)
	case "log":
		err = runCLI(lookupCommand("log"), args[1:], stdin, stdout, stderr)
	case "backup":
		err = runCLI(lookupCommand("backup"), args[1:], stdin, stdout, stderr)
	case "restore":
		err = restore(args[1:], stdout, stderr)
	case "health":
		err = checkHealth(args[1:], stderr)
	case "version":
		err = printVersion(args[1:], stdout, stderr)
	case "export", "import":
		err = runCLI(lookupCommand(args[0]), args[1:], stdin, stdout, stderr)
	case "acl", "account", "pod", "keys", "module":
		err = groupCommand(args[0], args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "naamio: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "naamio: %v\n", err)
		return 1
	}
	return 0
}

func serve(args []string, stderr io.Writer) error {
	cfg, err := parseServeConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	log, err := NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	applyMemoryLimit(cfg.MemoryLimit, os.Getenv("GOMEMLIMIT"), log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runServer(ctx, cfg, log) // recovering.go
}

// applyMemoryLimit sets the runtime's soft memory limit. It keeps a small
// server within a home server's means: without it the heap grows to twice
// its live size between collections, most of it garbage. GOMEMLIMIT, when
// set, has already been applied by the runtime and is left alone.
func applyMemoryLimit(limit int64, env string, log *slog.Logger) {
	if env != "" || limit <= 0 {
		return
	}
	debug.SetMemoryLimit(limit)
	appliedMemoryLimit.Store(limit) // open notification sockets add to it (memlimit.go)
	log.Debug("soft memory limit set", "bytes", limit)
}

const logUsage = `Usage:
  naamio log [--data DIR] [--after SEQ] [--limit N] [-o FILE]
      print the durable change log as JSON lines, oldest first, to
      standard output or FILE (written as FILE.partial, renamed when done)
`

// parseLog is naamio log: the change log as JSON lines.
func parseLog(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	after := fs.Uint64("after", 0, "print entries with a sequence number above this")
	limit := fs.Int("limit", 0, "print at most this many entries (0: all)")
	fs.String("o", "", "write to this file instead of standard output")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, logUsage)
		return nil, fmt.Errorf("log: no arguments expected, got %q", fs.Args())
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
		return writeLog(ctx, env.store, event.Cursor(*after), *limit, stdout)
	}, nil
}

// printLog is naamio log ARGS.
func printLog(args []string, stdout, stderr io.Writer) error {
	return runCLI(lookupCommand("log"), args, nil, stdout, stderr)
}

// writeLog writes the change log after cursor cur, at most limit entries
// (0: all).
func writeLog(ctx context.Context, st *badgerstore.Store, cur event.Cursor, limit int, stdout io.Writer) error {
	enc := json.NewEncoder(stdout)
	printed := 0
	for limit == 0 || printed < limit {
		batch := 1000
		if limit > 0 && limit-printed < batch {
			batch = limit - printed
		}
		changes, err := st.Changes(ctx, cur, batch)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		for _, c := range changes {
			if err := enc.Encode(c); err != nil {
				return err
			}
			cur = event.Cursor(c.Seq)
		}
		printed += len(changes)
	}
	return nil
}

// checkHealth asks a running server for its health; a container runtime's
// HEALTHCHECK uses it, since the image has no shell or curl. It asks where
// the server listens (--listen, NAAMIO_LISTEN, as for serve) unless --url
// names the endpoint.
func checkHealth(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", envOr("NAAMIO_LISTEN", defaults().Listen), "address the server listens on (env NAAMIO_LISTEN)")
	u := fs.String("url", "", "health endpoint (default: http://<listen address>/.naamio/health)")
	data := fs.String("data", "", "ask the server running on this data directory through its admin socket instead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("health: no arguments expected, got %q", fs.Args())
	}
	if *data != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		running, err := adminRun(ctx, *data, lookupCommand("health"), nil, nil, io.Discard, stderr)
		if err == nil && !running {
			err = fmt.Errorf("health: no server answers on %s", adminSocketPath(*data))
		}
		return err
	}
	if *u == "" {
		var err error
		if *u, err = healthURL(*listen); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s", resp.Status)
	}
	return nil
}

// parseHealth is the health check naamio health --data asks a running
// server for through its admin socket: the store can read its root, as
// for GET /.naamio/health.
func parseHealth(fs *flag.FlagSet, _ cmdDefaults, args []string, _ io.Writer) (cmdRun, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, _, _ io.Writer) error {
		if _, err := env.store.Stat(ctx, "/"); err != nil {
			return fmt.Errorf("health: the store cannot read its root: %w", err)
		}
		return nil
	}, nil
}

// healthURL is the health endpoint of a server listening on listen. An
// unspecified host (all interfaces) is asked on loopback.
func healthURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		return "", fmt.Errorf("listen address %q: want host:port", listen)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/.naamio/health", nil
}

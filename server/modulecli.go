package server

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/naamio/naamio/modules"
)

const moduleUsage = `Usage (read-only; while the server runs they ask it through its admin socket
<data>/admin.sock and show live counters, otherwise they open the store; a
module's status is also at /.modules/status/<manifest path> over HTTP, for
whoever may read the manifest):
  naamio module list [--data DIR]
      the installed Wasm modules: manifest path, name, version, state, calls,
      failures, dead letters, reactor events still queued
  naamio module status [--data DIR] PATH
      one module (PATH is its manifest's path, e.g. /alice/settings/modules/counter.json)
      as JSON: manifest, owner, recorded status, queue, dead letters
  naamio module logs [--data DIR] PATH
      the module's log lines, oldest first, then its dead letters
With the server stopped, counters and logs are as last recorded (every 10 s
while it ran, and when it stopped).
`

// moduleCommand is naamio module ARGS: the installed modules, read-only.
func moduleCommand(args []string, stdout, stderr io.Writer) error {
	return groupCommand("module", args, nil, stdout, stderr)
}

// parseModule is naamio module list, status PATH or logs PATH.
func parseModule(sub string) func(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	return func(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		want := 0
		if sub != "list" {
			want = 1
		}
		if fs.NArg() != want {
			fmt.Fprint(stderr, moduleUsage)
			return nil, fmt.Errorf("module %s: %d argument(s) expected, got %q", sub, want, fs.Args())
		}
		return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
			all, err := env.installed(ctx)
			if err != nil {
				return err
			}
			if sub == "list" {
				return printModules(stdout, all)
			}
			return printModule(stdout, sub, fs.Arg(0), all)
		}, nil
	}
}

// printModule writes the status (sub "status") or the log ("logs") of
// the module installed from path.
func printModule(stdout io.Writer, sub, path string, all []modules.Installed) error {
	for _, m := range all {
		if m.Path != path {
			continue
		}
		if sub == "status" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(m)
		}
		for _, l := range m.Status.Log {
			fmt.Fprintf(stdout, "%s %-5s %s\n", l.Time.Format("2006-01-02T15:04:05Z07:00"), l.Level, l.Message)
		}
		for _, d := range m.Dead {
			fmt.Fprintf(stdout, "dead letter: %s %s (%s, %d attempts): %s\n", d.Event.Type, d.Event.Object, d.Export, d.Attempts, d.Error)
		}
		return nil
	}
	return fmt.Errorf("module %s: no module is installed from %s (naamio module list shows them)", sub, path)
}

func printModules(w io.Writer, all []modules.Installed) error {
	if len(all) == 0 {
		fmt.Fprintln(w, "no modules installed")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MANIFEST\tNAME\tVERSION\tSTATE\tCALLS\tFAILURES\tDEAD\tQUEUED")
	for _, m := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", m.Path, m.Manifest.Name, m.Manifest.Version, m.Status.State,
			m.Status.Calls, m.Status.Failures, m.Status.DeadLetters, m.Queued)
	}
	return tw.Flush()
}

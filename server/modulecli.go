package server

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/naamio/naamio/kv"
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

// installedModules asks the server running on dir, or reads the store
// when none runs.
func installedModules(dir string) ([]modules.Installed, error) {
	var all []modules.Installed
	if running, err := adminGet(dir, "/v1/modules", &all); running || err != nil {
		return all, err
	}
	st, err := openStopped(dir, false)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	records, err := st.KV(kv.Modules)
	if err != nil {
		return nil, err
	}
	return modules.ReadInstalled(context.Background(), records)
}

// moduleCommand shows the installed modules offline, read-only.
func moduleCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "status" && args[0] != "logs") {
		fmt.Fprint(stderr, moduleUsage)
		return errors.New("module: list, status or logs expected")
	}
	sub := args[0]
	fs := flag.NewFlagSet("module "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (env NAAMIO_DATA)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	want := 0
	if sub != "list" {
		want = 1
	}
	if fs.NArg() != want {
		fmt.Fprint(stderr, moduleUsage)
		return fmt.Errorf("module %s: %d argument(s) expected, got %q", sub, want, fs.Args())
	}
	all, err := installedModules(*dir)
	if err != nil {
		return err
	}
	if sub == "list" {
		return printModules(stdout, all)
	}
	for _, m := range all {
		if m.Path != fs.Arg(0) {
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
	return fmt.Errorf("module %s: no module is installed from %s (naamio module list shows them)", sub, fs.Arg(0))
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

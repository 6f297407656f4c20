package server

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The command line of issue 16 ("Command line (so scripts can rely on
// it)" and item 1's list), point by point: every command is listed by
// naamio -h and in the README; every data-directory command takes --data
// DIR, default ./data, env NAAMIO_DATA; backup and export write to
// standard output by default; flags may follow the positional arguments
// (naamio export POD -o FILE.tar, as the issue writes it), running and
// offline; restore, import, version and serve --metrics-listen as written.
func TestCLIContract(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Every command in naamio -h and in the README.
	listed := func(name string) bool {
		for _, line := range strings.Split(usage, "\n") {
			words := strings.Fields(line)
			if len(words) < 2 || words[0] != "naamio" {
				continue
			}
			want := strings.Fields(name)
			if len(words) > len(want) && words[1] == want[0] && (len(want) == 1 || slices.Contains(strings.Split(words[2], "|"), want[1])) {
				return true
			}
		}
		return false
	}
	names := []string{"serve", "health", "version", "restore"}
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for _, name := range names {
		if !listed(name) {
			t.Errorf("naamio -h does not list naamio %s", name)
		}
		if !bytes.Contains(readme, []byte("`naamio "+name+" ")) && !bytes.Contains(readme, []byte("`naamio "+name+"`")) {
			t.Errorf("the README does not document naamio %s", name)
		}
	}
	for _, want := range []string{"naamio backup [-o FILE] [--since PREVIOUS]", "naamio export POD [-o FILE.tar]",
		"naamio import POD FILE.tar", "naamio restore --data NEWDIR"} {
		if !strings.Contains(usage, want) {
			t.Errorf("naamio -h does not say %q", want)
		}
	}

	// naamio GROUP -h: the group's usage on standard output, exit 0.
	for group := range commandGroups {
		var out, errOut bytes.Buffer
		if code := mainWith([]string{group, "-h"}, nil, &out, &errOut); code != 0 || out.String() != commandGroups[group] {
			t.Errorf("naamio %s -h: %d %q %q", group, code, out.String(), errOut.String())
		}
		for _, c := range commands() {
			if sub, ok := strings.CutPrefix(c.name, group+" "); ok && !strings.Contains(out.String(), "naamio "+group+" "+sub) {
				t.Errorf("naamio %s -h does not describe %s", group, c.name)
			}
		}
	}

	// --data DIR, default ./data, env NAAMIO_DATA.
	for _, c := range commands() {
		if c.liveOnly {
			continue
		}
		os.Unsetenv("NAAMIO_DATA")
		if _, dir, _, err := parseCommand(c, offlineDefaults(), []string{"-h"}, io.Discard); dir != "./data" || !errors.Is(err, flag.ErrHelp) {
			t.Errorf("naamio %s: --data defaults to %q (%v), want ./data", c.name, dir, err)
		}
		t.Setenv("NAAMIO_DATA", "/from/env")
		if _, dir, _, _ := parseCommand(c, offlineDefaults(), []string{"-h"}, io.Discard); dir != "/from/env" {
			t.Errorf("naamio %s: --data with NAAMIO_DATA set: %q", c.name, dir)
		}
		if _, dir, _, _ := parseCommand(c, offlineDefaults(), []string{"--data", "/flag", "-h"}, io.Discard); dir != "/flag" {
			t.Errorf("naamio %s: --data /flag: %q", c.name, dir)
		}
	}
	os.Unsetenv("NAAMIO_DATA")

	run := func(stdin string, args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := mainWith(args, strings.NewReader(stdin), &out, &errOut); code != 0 {
			t.Fatalf("naamio %q: %d %s", args, code, errOut.String())
		}
		return out.String(), errOut.String()
	}
	cfg := loopbackConfig(t)
	dir, tmp := cfg.DataDir, t.TempDir()
	run("correct horse battery\n", "account", "create", "--data", dir, "--base-url", cfg.BaseURL, "--email", "a@example.org", "--pod", "alice")
	isTar := func(b []byte) bool {
		tr := tar.NewReader(bytes.NewReader(b))
		n := 0
		for {
			if _, err := tr.Next(); err == io.EOF {
				return n > 0
			} else if err != nil {
				return false
			}
			n++
		}
	}
	for _, mode := range []string{"offline", "running"} {
		if mode == "running" {
			runServe(t, cfg, io.Discard)
		}
		m := func(name string) string { return filepath.Join(tmp, mode+"-"+name) }
		// backup: standard output by default; -o and --since in either order.
		if out, _ := run("", "backup", "--data", dir); !strings.HasPrefix(out, backupMagic) {
			t.Errorf("%s: naamio backup does not write a backup to standard output: %.40q", mode, out)
		}
		run("", "backup", "--data", dir, "-o", m("full"))
		run("", "backup", "--data", dir, "--since", m("full"), "-o", m("inc1"))
		run("", "backup", "-o", m("inc2"), "--data", dir, "--since", m("inc1"))
		// restore --data NEWDIR FILE...
		run("", "restore", "--data", m("restored"), m("full"), m("inc1"), m("inc2"))
		// export: a tar on standard output by default; -o before or after POD.
		if out, _ := run("", "export", "--data", dir, "alice"); !isTar([]byte(out)) {
			t.Errorf("%s: naamio export POD does not write a tar to standard output", mode)
		}
		run("", "export", "--data", dir, "alice", "-o", m("after.tar"))
		run("", "export", "-o", m("before.tar"), "--data", dir, "alice")
		for _, f := range []string{"after.tar", "before.tar"} {
			if b, err := os.ReadFile(m(f)); err != nil || !isTar(b) {
				t.Errorf("%s: export -o %s: %v", mode, f, err)
			}
		}
		// import POD FILE.tar (and flags after the arguments).
		pod := map[string]string{"offline": "bob", "running": "carol"}[mode]
		run("", "import", "--data", dir, pod, m("after.tar"), "--from", cfg.BaseURL+"alice/")
		if out, _ := run("", "acl", "show", "--data", dir, "/"+pod+"/"); !strings.Contains(out, "/"+pod+"/") {
			t.Errorf("%s: the imported pod %s has no ACL: %q", mode, pod, out)
		}
		// account list / disable / enable with --data after the argument.
		run("", "account", "disable", "a@example.org", "--data", dir)
		run("", "account", "enable", "a@example.org", "--data", dir)
		if out, _ := run("", "account", "list", "--data", dir); strings.Contains(out, "disabled") {
			t.Errorf("%s: account list after enable: %q", mode, out)
		}
	}

	// restore: NEWDIR from NAAMIO_DATA, never a non-empty one.
	t.Setenv("NAAMIO_DATA", dir)
	var out, errOut bytes.Buffer
	if code := mainWith([]string{"restore", filepath.Join(tmp, "offline-full")}, nil, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), dir+" is not empty") {
		t.Errorf("restore into NAAMIO_DATA, not empty: %d %s", code, errOut.String())
	}
	os.Unsetenv("NAAMIO_DATA")
	// version: three lines, --data accepted.
	if out, _ := run("", "version", "--data", dir); len(strings.Split(strings.TrimSpace(out), "\n")) != 3 ||
		!strings.HasPrefix(out, "naamio ") || !strings.Contains(out, "\ncommit ") || !strings.Contains(out, "\ngo") {
		t.Errorf("naamio version: %q", out)
	}
	// serve --metrics-listen ADDR, env NAAMIO_METRICS_LISTEN.
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if c, err := parseServeConfig([]string{"--metrics-listen", "127.0.0.1:9464"}, env(nil)); err != nil || c.MetricsListen != "127.0.0.1:9464" {
		t.Errorf("serve --metrics-listen: %q %v", c.MetricsListen, err)
	}
	if c, err := parseServeConfig(nil, env(map[string]string{"NAAMIO_METRICS_LISTEN": "127.0.0.1:9465"})); err != nil || c.MetricsListen != "127.0.0.1:9465" {
		t.Errorf("NAAMIO_METRICS_LISTEN: %q %v", c.MetricsListen, err)
	}
	if c, err := parseServeConfig(nil, env(nil)); err != nil || c.MetricsListen != "" {
		t.Errorf("metrics without --metrics-listen: %q %v", c.MetricsListen, err)
	}
}

// flagsFirst moves a command's flags before its other arguments, with
// their values; "--" and a lone "-" stay arguments.
func TestFlagsFirst(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("o", "", "")
	fs.Bool("admin", false, "")
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"POD", "-- POD"},
		{"POD -o F", "-o F -- POD"},
		{"-o F POD", "-o F -- POD"},
		{"POD --o=F", "--o=F -- POD"},
		{"POD --admin X", "--admin -- POD X"},
		{"POD - -o F", "-o F -- POD -"},
		{"POD -- -o F", "-- POD -o F"},
		{"POD --nope X", "--nope -- POD X"},
		{"POD -o", "POD -o"}, // no value: as it was (not -o --)
		{"-o", "-o"},
		{"-o - POD", "-o - -- POD"},
	} {
		got := strings.Join(flagsFirst(fs, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("flagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

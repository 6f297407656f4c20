package server

import (
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestConfigPrecedence(t *testing.T) {
	env := map[string]string{
		"NAAMIO_LISTEN":       "127.0.0.1:9000",
		"NAAMIO_DATA":         "/env/data",
		"NAAMIO_DISK_RESERVE": "1GiB",
	}
	getenv := func(k string) string { return env[k] }
	c, err := parseServeConfig([]string{"--data", "/flag/data", "--max-rdf-body", "2MiB", "--body-idle-timeout", "5s"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9000" {
		t.Errorf("env did not beat default: listen %q", c.Listen)
	}
	if c.DataDir != "/flag/data" {
		t.Errorf("flag did not beat env: data %q", c.DataDir)
	}
	if c.DiskReserve != 1<<30 || c.MaxRDFBody != 2<<20 || c.BodyIdleTimeout != 5*time.Second {
		t.Errorf("sizes/durations: %+v", c)
	}
	if c.BaseURL != "http://localhost:8080/" || c.LogFormat != "json" {
		t.Errorf("defaults lost: %+v", c)
	}
}

// SECURITY row 15: the triple limit and the RDF memory budget have
// flags and NAAMIO_* variables, and sane defaults.
func TestConfigRDFLimits(t *testing.T) {
	c, err := parseServeConfig(nil, func(string) string { return "" })
	if err != nil || c.MaxRDFTriples != 200_000 || c.RDFMemory != 96<<20 {
		t.Fatalf("defaults: triples %d, memory %d, %v", c.MaxRDFTriples, c.RDFMemory, err)
	}
	env := map[string]string{"NAAMIO_MAX_RDF_TRIPLES": "5000", "NAAMIO_RDF_MEMORY": "32MiB"}
	c, err = parseServeConfig(nil, func(k string) string { return env[k] })
	if err != nil || c.MaxRDFTriples != 5000 || c.RDFMemory != 32<<20 {
		t.Fatalf("env: triples %d, memory %d, %v", c.MaxRDFTriples, c.RDFMemory, err)
	}
	c, err = parseServeConfig([]string{"--max-rdf-triples", "7", "--rdf-memory", "1MiB"}, func(k string) string { return env[k] })
	if err != nil || c.MaxRDFTriples != 7 || c.RDFMemory != 1<<20 {
		t.Fatalf("flags: triples %d, memory %d, %v", c.MaxRDFTriples, c.RDFMemory, err)
	}
}

func TestConfigDefaultsWork(t *testing.T) {
	c, err := parseServeConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./data" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestConfigRejects(t *testing.T) {
	for _, args := range [][]string{
		{"--base-url", "ftp://x/"},
		{"--base-url", "http://x/?q=1"},
		{"--base-url", "http://user@x/"}, // refused by ldp only after the store was opened, before
		{"--base-url", "localhost:8080"},
		{"--listen", "nonsense"},
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"--max-rdf-body", "lots"},
		{"--body-idle-timeout", "0s"},
		{"--max-rdf-triples", "0"},
		{"--max-rdf-triples", "many"},
		{"--rdf-memory", "0"},
		{"--inbox-rate", "0"},
		{"--inbox-burst", "-1"},
		{"--inbox-rate", "1.5"},
		{"--signups-per-hour", "0"},
		{"--signups-per-hour", "-3"},
		{"--signups-per-hour", "ten"},
		{"extra-arg"},
	} {
		if _, err := parseServeConfig(args, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, err := parseServeConfig(nil, func(k string) string {
		if k == "NAAMIO_DISK_RESERVE" {
			return "many"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "NAAMIO_DISK_RESERVE") {
		t.Errorf("bad env value: %v", err)
	}
}

func TestApplyMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev); appliedMemoryLimit.Store(0) })
	log := slog.New(slog.DiscardHandler)
	applyMemoryLimit(123<<20, "", log)
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("limit = %d, want %d", got, 123<<20)
	}
	applyMemoryLimit(77<<20, "1GiB", log) // GOMEMLIMIT set: left to the runtime
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("GOMEMLIMIT was overridden: %d", got)
	}
	applyMemoryLimit(0, "", log) // 0: none, nothing changed
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("limit 0 changed the limit: %d", got)
	}
}

func TestConfigQuota(t *testing.T) {
	env := map[string]string{"NAAMIO_QUOTA": "5GiB"}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want int64
	}{
		{"default none", nil, nil, 0},
		{"env", nil, env, 5 << 30},
		{"flag beats env", []string{"--quota", "10MiB"}, env, 10 << 20},
	} {
		c, err := parseServeConfig(tc.args, func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.Quota != tc.want {
			t.Errorf("%s: quota %d, want %d", tc.name, c.Quota, tc.want)
		}
	}
	if _, err := parseServeConfig([]string{"--quota", "much"}, func(string) string { return "" }); err == nil {
		t.Error("--quota much accepted")
	}
}

// parseValidated parses args with one environment variable set (name =
// value, nothing else) and validates the result, as serve does.
func parseValidated(args []string, name, value string) (Config, error) {
	c, err := parseServeConfig(args, func(k string) string {
		if k == name {
			return value
		}
		return ""
	})
	if err == nil {
		err = c.Validate()
	}
	return c, err
}

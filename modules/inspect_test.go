package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// manifestFor is a manifest naming bin's digest, with the given reactor
// and validator exports.
func manifestFor(t *testing.T, bin []byte, reactor, validator string) *Manifest {
	t.Helper()
	sum := sha256.Sum256(bin)
	m := &Manifest{Name: "t", Version: "1", Wasm: Wasm{URL: "https://pod.example/m.wasm", SHA256: hex.EncodeToString(sum[:])}}
	if reactor != "" {
		m.Reactors = []Reactor{{Export: reactor, Container: "https://pod.example/n/"}}
	}
	if validator != "" {
		m.Validators = []Validator{{Export: validator, Container: "https://pod.example/n/"}}
	}
	return m
}

// A module is checked before it is installed: the refusals name what is
// wrong (422 with the reason), and a module that imports WASI, the Extism
// kernel and pod_get installs.
func TestInspect(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(wazero.NewCompilationCache()))
	defer rt.Close(ctx)
	good := fixture(t, "reactor")
	if err := inspect(ctx, rt, good, manifestFor(t, good, "on_change", "validate")); err != nil {
		t.Fatalf("reactor.wasm refused: %v", err)
	}
	wrongSum := manifestFor(t, good, "on_change", "")
	wrongSum.Wasm.SHA256 = strings.Repeat("0", 64)
	for _, tc := range []struct {
		name   string
		bin    []byte
		m      *Manifest
		reason string
	}{
		{"digest differs", good, wrongSum, "SHA-256 is"},
		{"not wasm", []byte("#!/bin/sh\nrm -rf /\n"), manifestFor(t, []byte("#!/bin/sh\nrm -rf /\n"), "on_change", ""), "not a WebAssembly module"},
		{"truncated", good[:len(good)/2], manifestFor(t, good[:len(good)/2], "on_change", ""), "not a WebAssembly module"},
		{"too large", make([]byte, MaxWasm+1), manifestFor(t, make([]byte, MaxWasm+1), "on_change", ""), "larger than 10 MiB"},
		{"missing reactor export", good, manifestFor(t, good, "on_delete", ""), `reactors[0].export: the module exports no function "on_delete"`},
		{"missing validator export", good, manifestFor(t, good, "", "check"), `validators[0].export`},
		{"memory is not a function", good, manifestFor(t, good, "memory", ""), `exports no function "memory"`},
		{"foreign import", fixture(t, "foreign_import"), manifestFor(t, fixture(t, "foreign_import"), "on_change", ""), `imports system from "env"`},
		{"unknown pod call", fixture(t, "unknown_pod_call"), manifestFor(t, fixture(t, "unknown_pod_call"), "on_change", ""), "imports pod_exec"},
		{"wrong signature", fixture(t, "wrong_signature"), manifestFor(t, fixture(t, "wrong_signature"), "on_change", ""), "must take no parameters"},
		{"imported memory", fixture(t, "imported_memory"), manifestFor(t, fixture(t, "imported_memory"), "on_change", ""), "imports its memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := inspect(ctx, rt, tc.bin, tc.m)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v; want ErrInvalid mentioning %q", err, tc.reason)
			}
		})
	}
}

package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Import namespaces a module may use (the contract: all of WASI
// preview1, Extism's kernel, and the pod_* host functions).
const (
	nsWASI   = "wasi_snapshot_preview1"
	nsExtism = "extism:host/env"
	nsUser   = "extism:host/user"
)

// HostFunctions are the pod_* functions a module may import from
// extism:host/user.
var HostFunctions = []string{"pod_get", "pod_put", "pod_patch", "pod_delete", "pod_list"}

// inspect checks a module's binary against its manifest before anything
// is installed: size, digest, that it compiles, that it imports only what
// the host offers, and that every export the manifest names exists with
// Extism's signature () -> i32. The compilation is kept in cache (the
// runtime's compilation cache), so installing compiles once.
func inspect(ctx context.Context, rt wazero.Runtime, bin []byte, m *Manifest) error {
	if len(bin) > MaxWasm {
		return invalid("wasm", "the module is larger than %d MiB", MaxWasm>>20)
	}
	sum := sha256.Sum256(bin)
	if got := hex.EncodeToString(sum[:]); got != m.Wasm.SHA256 {
		return invalid("wasm.sha256", "the module's SHA-256 is %s, not the one the manifest names", got)
	}
	cm, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return invalid("wasm", "not a WebAssembly module this server can run: %v", err)
	}
	defer cm.Close(ctx)
	if err := checkImports(cm); err != nil {
		return err
	}
	exports := cm.ExportedFunctions()
	for i, r := range m.Reactors {
		if err := checkExport(exports, fmt.Sprintf("reactors[%d].export", i), r.Export); err != nil {
			return err
		}
	}
	for i, v := range m.Validators {
		if err := checkExport(exports, fmt.Sprintf("validators[%d].export", i), v.Export); err != nil {
			return err
		}
	}
	return nil
}

func checkImports(cm wazero.CompiledModule) error {
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		switch {
		case mod == nsWASI, mod == nsExtism:
			// Names the runtime does not define fail when the module is
			// instantiated, which installing does before it answers.
		case mod == nsUser && slices.Contains(HostFunctions, name):
		case mod == nsUser:
			return invalid("wasm", "imports %s from %s; the host offers %s", name, nsUser, strings.Join(HostFunctions, ", "))
		default:
			return invalid("wasm", "imports %s from %q; a module may import only from %s, %s and %s", name, mod, nsWASI, nsExtism, nsUser)
		}
	}
	if ms := cm.ImportedMemories(); len(ms) > 0 {
		mod, name, _ := ms[0].Import()
		return invalid("wasm", "imports its memory (%s %s); a module must define its own", mod, name)
	}
	return nil
}

func checkExport(exports map[string]api.FunctionDefinition, field, name string) error {
	f, ok := exports[name]
	if !ok {
		return invalid(field, "the module exports no function %q", name)
	}
	if len(f.ParamTypes()) != 0 || !slices.Equal(f.ResultTypes(), []api.ValueType{api.ValueTypeI32}) {
		return invalid(field, "%q must take no parameters and return an i32 (an Extism plugin function)", name)
	}
	return nil
}

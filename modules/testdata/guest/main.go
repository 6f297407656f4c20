// Command guest is the Go test module of the modules package: each export
// exercises one thing the host must handle. Built by the tests with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o guest.wasm .
package main

import (
	"runtime"

	"github.com/extism/go-pdk"
)

// echo returns its input, with the config value "suffix" appended.
//
//go:wasmexport echo
func echo() int32 {
	in := pdk.Input()
	suffix, _ := pdk.GetConfig("suffix")
	pdk.Output(append(in, suffix...))
	runtime.Gosched()
	return 0
}

// fail sets an error the host must report with the module's own text.
//
//go:wasmexport fail
func fail() int32 {
	pdk.SetErrorString("the module refused: " + string(pdk.Input()))
	return 1
}

// spin never returns: only the manifest's timeout stops it.
//
//go:wasmexport spin
func spin() int32 {
	n := 0
	for {
		n++
	}
}

// crash panics (a trap for the host).
//
//go:wasmexport crash
func crash() int32 {
	var m map[string]int
	m["x"] = 1
	return 0
}

// hog allocates until the memory cap stops it.
//
//go:wasmexport hog
func hog() int32 {
	var keep [][]byte
	for {
		keep = append(keep, make([]byte, 1<<20))
		if len(keep) > 1<<20 {
			break
		}
	}
	return int32(len(keep))
}

// logs writes one line at each level.
//
//go:wasmexport logs
func logs() int32 {
	pdk.Log(pdk.LogDebug, "debug line")
	pdk.Log(pdk.LogInfo, "info line")
	pdk.Log(pdk.LogError, "error line")
	return 0
}

func main() {}

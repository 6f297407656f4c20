// Command guest is the Go test module of the modules package: each export
// exercises one thing the host must handle. Built by the tests with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o guest.wasm .
package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"

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

//go:wasmimport extism:host/user pod_get
func podGet(uint64) uint64

//go:wasmimport extism:host/user pod_put
func podPut(uint64) uint64

//go:wasmimport extism:host/user pod_patch
func podPatch(uint64) uint64

//go:wasmimport extism:host/user pod_delete
func podDelete(uint64) uint64

//go:wasmimport extism:host/user pod_list
func podList(uint64) uint64

var hostFns = map[string]func(uint64) uint64{
	"pod_get": podGet, "pod_put": podPut, "pod_patch": podPatch, "pod_delete": podDelete, "pod_list": podList,
}

// callHost calls the host function fn with in and returns its output.
func callHost(fn string, in []byte) []byte {
	mem := pdk.AllocateBytes(in)
	defer mem.Free()
	out := pdk.FindMemory(hostFns[fn](mem.Offset()))
	defer out.Free()
	return out.ReadBytes()
}

// host calls the host function named by the first line of its input with
// the rest as that function's input, and returns the answer.
//
//go:wasmexport host
func host() int32 {
	in := pdk.Input()
	fn, rest, _ := bytes.Cut(in, []byte("\n"))
	pdk.Output(callHost(string(fn), rest))
	runtime.Gosched()
	return 0
}

// flood tries to write as many resources as its input says (a decimal
// count) under the container IRI of its config "container", and returns
// the statuses it got, counted.
//
//go:wasmexport flood
func flood() int32 {
	n, _ := strconv.Atoi(string(pdk.Input()))
	base, _ := pdk.GetConfig("container")
	counts := map[string]int{}
	// Each try is a new resource until the host says 429; from then on the
	// module repeats its last request from the same memory block and reads
	// only the head of each answer. Copying memory costs a Go guest a host
	// round trip per 8 bytes, and this test is about the host's limit, not
	// about that cost.
	var req pdk.Memory
	limited := false
	for i := 0; i < n; i++ {
		if !limited {
			req.Free()
			req = pdk.AllocateBytes([]byte(`{"iri":"` + base + `f` + strconv.Itoa(i) + `.txt","contentType":"text/plain","body":"x"}`))
		}
		out := pdk.FindMemory(podPut(req.Offset()))
		head := make([]byte, min(16, int(out.Length())))
		out.Load(head)
		out.Free()
		st := statusOf(head)
		limited = st == "429"
		counts[st]++
	}
	req.Free()
	b, _ := json.Marshal(counts)
	pdk.Output(b)
	runtime.Gosched()
	return 0
}

// statusOf reads the status of a host answer, which begins
// {"status":NNN (ten thousand json.Unmarshal calls would cost a Go guest
// seconds under the runtime's termination checks; docs/modules.md, "Speed").
func statusOf(answer []byte) string {
	const head = `{"status":`
	if len(answer) >= len(head)+3 && string(answer[:len(head)]) == head {
		return string(answer[len(head) : len(head)+3])
	}
	return "unreadable: " + string(answer)
}

// validate refuses a document that mentions "forbidden", traps on
// "crash" and never returns on "spin"; it allows anything else.
//
//go:wasmexport validate
func validate() int32 {
	var ev struct {
		Body string `json:"body"`
	}
	_ = json.Unmarshal(pdk.Input(), &ev)
	switch {
	case strings.Contains(ev.Body, "forbidden"):
		pdk.Output([]byte(`{"allow":false,"reason":"forbidden is not allowed here"}`))
	case strings.Contains(ev.Body, "crash"):
		var m map[string]int
		m["x"] = 1
	case strings.Contains(ev.Body, "spin"):
		for {
		}
	default:
		pdk.Output([]byte(`{"allow":true}`))
	}
	runtime.Gosched()
	return 0
}

// onChange records each event it gets as a triple in <config out>log.ttl
// (an N3 Patch through pod_patch), and fails when the patch does.
//
//go:wasmexport on_change
func onChange() int32 {
	var ev struct{ Type, Object, State string }
	_ = json.Unmarshal(pdk.Input(), &ev)
	out, _ := pdk.GetConfig("out")
	patch := `@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { <` +
		ev.Object + `> <urn:ex:saw> "` + ev.Type + " " + ev.State + `" . }.`
	body, _ := json.Marshal(map[string]string{"iri": out + "log.ttl", "body": patch})
	var r struct {
		Status int
		Error  string
	}
	_ = json.Unmarshal(callHost("pod_patch", body), &r)
	runtime.Gosched()
	if r.Status >= 300 {
		pdk.SetErrorString("patch answered " + strconv.Itoa(r.Status) + ": " + r.Error)
		return 1
	}
	return 0
}

// noRetry fails and asks the host not to try the event again.
//
//go:wasmexport no_retry
func noRetry() int32 {
	pdk.SetErrorString(`{"retry":false,"error":"this event cannot be handled"}`)
	return 1
}

// fetch GETs the URL of its input with Extism's http_request and returns
// {"status", "body"}.
//
//go:wasmexport fetch
func fetch() int32 {
	res := pdk.NewHTTPRequest(pdk.MethodGet, string(pdk.Input())).Send()
	out, _ := json.Marshal(map[string]any{"status": res.Status(), "body": string(res.Body())})
	pdk.Output(out)
	runtime.Gosched()
	return 0
}

// badPointer calls pod_get with an offset that is no memory block of
// this module, and returns the host's answer.
//
//go:wasmexport bad_pointer
func badPointer() int32 {
	out := pdk.FindMemory(podGet(1 << 40))
	pdk.Output(out.ReadBytes())
	return 0
}

func main() {}

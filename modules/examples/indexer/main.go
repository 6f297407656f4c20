// Command indexer is an example Naamio module (a reactor, in Go): it keeps
// an index document listing the dc:title of every Turtle document in the
// container it watches, one triple per title:
//
//	<https://pod.example/alice/notes/a.ttl> <http://purl.org/dc/terms/title> "A note" .
//
// On a Create or Update it reads the document as N-Triples (pod_get with
// accept application/n-triples) and takes the dc:title triples whose
// subject is the document or a fragment of it (<a.ttl#it>); then it
// replaces the document's entries in the index with N3 Patches
// (pod_patch); on a Delete it removes them. It reads the index only when
// the document had no entry or several: Wasm decodes JSON several times
// slower than native code, so a module that reads a large document per
// event is slow (see docs/modules.md, "Speed"). The index is named by the config value "index"
// (an absolute IRI); the module agent needs Read on the watched container
// and Read and Write where the index is. See docs/modules.md.
//
// Build:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o indexer.wasm .
package main

import (
	"encoding/json"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/extism/go-pdk"
)

const dcTitle = "<http://purl.org/dc/terms/title>"

// event is the reactor's input (the shape of a Solid notification).
type event struct {
	Type   string `json:"type"` // Create, Update, Delete
	Object string `json:"object"`
}

// answer is what every pod_* host function returns.
type answer struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

//go:wasmimport extism:host/user pod_get
func podGet(uint64) uint64

//go:wasmimport extism:host/user pod_patch
func podPatch(uint64) uint64

// host calls a pod_* function with a JSON request and decodes its answer.
func host(fn func(uint64) uint64, req map[string]string) answer {
	in, _ := json.Marshal(req)
	mem := pdk.AllocateBytes(in)
	defer mem.Free()
	out := pdk.FindMemory(fn(mem.Offset()))
	defer out.Free()
	var a answer
	if err := json.Unmarshal(out.ReadBytes(), &a); err != nil {
		a = answer{Status: 500, Error: "unreadable host answer: " + err.Error()}
	}
	return a
}

// onChange is the reactor. Every export of a Go module ends with
// runtime.Gosched(), or its memory grows from call to call.
//
//go:wasmexport on_change
func onChange() int32 {
	err := react()
	runtime.Gosched()
	if err != "" {
		pdk.SetErrorString(err)
		return 1
	}
	return 0
}

// react does the work; a non-empty result is the error the host logs
// (an error that is JSON with "retry": false is not retried).
func react() string {
	var ev event
	if err := json.Unmarshal(pdk.Input(), &ev); err != nil || ev.Object == "" {
		return `{"retry":false,"error":"the input is not a reactor event"}`
	}
	index, ok := pdk.GetConfig("index")
	if !ok || !strings.Contains(index, "://") {
		return `{"retry":false,"error":"set the config value \"index\" to the index document's absolute IRI"}`
	}
	if strings.HasSuffix(ev.Object, "/") || ev.Object == index {
		return "" // a container, or the index itself: nothing to list
	}
	var titles []string
	if ev.Type != "Delete" {
		doc := host(podGet, map[string]string{"iri": ev.Object, "accept": "application/n-triples"})
		switch {
		case doc.Status == 404 || doc.Status == 410:
			// Gone since the change: its Delete follows; drop it now.
		case doc.Status != 200:
			return "reading " + ev.Object + " answered " + strconv.Itoa(doc.Status) + ": " + doc.Error
		default:
			titles = titlesOf(doc.Body, ev.Object)
		}
	}
	// Usually the index holds one title for the document: one patch
	// swaps it for the new ones, without reading the index (N3 Patch's
	// where must match exactly once). Otherwise (a new document, or one
	// with several titles) the patch answers 409, and the module reads
	// the index to replace the document's entries exactly.
	swap := host(podPatch, map[string]string{"iri": index, "contentType": "text/n3",
		"body": patch(ev.Object, []string{"?old"}, titles, true)})
	switch {
	case swap.Status < 300:
	case swap.Status != 409:
		return "patching the index " + index + " answered " + strconv.Itoa(swap.Status) + ": " + swap.Error
	default:
		idx := host(podGet, map[string]string{"iri": index, "accept": "application/n-triples"})
		var old []string
		switch idx.Status {
		case 200:
			old = objects(idx.Body, "<"+ev.Object+">", dcTitle)
		case 404:
		default:
			return "reading the index " + index + " answered " + strconv.Itoa(idx.Status) + ": " + idx.Error
		}
		if same(old, titles) {
			return "" // nothing to change
		}
		res := host(podPatch, map[string]string{"iri": index, "contentType": "text/n3", "body": patch(ev.Object, old, titles, false)})
		if res.Status >= 300 {
			return "patching the index " + index + " answered " + strconv.Itoa(res.Status) + ": " + res.Error
		}
	}
	pdk.Log(pdk.LogInfo, "indexed "+ev.Object+" ("+strconv.Itoa(len(titles))+" titles)")
	return ""
}

// patch is an N3 Patch replacing the document's title triples old with
// titles; with where, old must also be found (old may then be a
// variable, "?old"). N-Triples terms are valid N3 terms, so they are
// copied as read.
func patch(doc string, old, titles []string, where bool) string {
	var b strings.Builder
	b.WriteString("@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n_:index a solid:InsertDeletePatch")
	parts := []struct {
		verb  string
		terms []string
	}{{"solid:deletes", old}, {"solid:inserts", titles}}
	if where {
		parts = append(parts, parts[0])
		parts[len(parts)-1].verb = "solid:where"
	}
	for _, part := range parts {
		if len(part.terms) == 0 {
			continue
		}
		b.WriteString(";\n  " + part.verb + " {")
		for _, t := range part.terms {
			b.WriteString(" <" + doc + "> " + dcTitle + " " + t + " .")
		}
		b.WriteString(" }")
	}
	b.WriteString(".\n")
	return b.String()
}

// titlesOf returns the dc:title objects of the document doc (subject the
// document or one of its fragments) in N-Triples nt.
func titlesOf(nt, doc string) []string {
	var out []string
	for _, t := range triples(nt) {
		s := strings.TrimSuffix(strings.TrimPrefix(t[0], "<"), ">")
		if t[1] == dcTitle && strings.HasPrefix(t[0], "<") && (s == doc || strings.HasPrefix(s, doc+"#")) {
			out = append(out, t[2])
		}
	}
	return dedupe(out)
}

// objects returns the objects of the triples with subject s and
// predicate p in N-Triples nt.
func objects(nt, s, p string) []string {
	var out []string
	for _, t := range triples(nt) {
		if t[0] == s && t[1] == p {
			out = append(out, t[2])
		}
	}
	return dedupe(out)
}

// triples splits N-Triples into (subject, predicate, object) terms, as
// written. N-Triples is one triple per line: subject and predicate end
// at the first space, the object runs to the final " .". Lines that are
// not triples (comments, blank lines) are skipped.
func triples(nt string) [][3]string {
	var out [][3]string
	for _, line := range strings.Split(nt, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || !strings.HasSuffix(line, ".") {
			continue
		}
		s, rest, ok1 := strings.Cut(line, " ")
		p, rest, ok2 := strings.Cut(strings.TrimLeft(rest, " \t"), " ")
		o := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "."))
		if ok1 && ok2 && o != "" {
			out = append(out, [3]string{s, p, o})
		}
	}
	return out
}

func dedupe(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, v := range list {
		if i == 0 || v != list[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func same(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func main() {}

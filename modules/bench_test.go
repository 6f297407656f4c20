package modules

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
)

// installBench installs the guest at path with the given reactors and
// validators JSON, granting its agent Read (and Write) on /alice/notes/.
func installBench(b *testing.B, p *svcPod, name, parts string) {
	b.Helper()
	bin := guestWasm(b)
	if w := p.as(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin); w.Code >= 300 {
		b.Fatalf("wasm: %d", w.Code)
	}
	if w := p.as(svcOwner, "PUT", "/alice/settings/modules/"+name+".json", "application/json", []byte(`{"name":"`+name+`","version":"1",
		"wasm":{"url":"guest.wasm","sha256":"`+hex.EncodeToString(sha(bin))+`"},`+parts+`}`)); w.Code >= 300 {
		b.Fatalf("manifest: %d %s", w.Code, w.Body)
	}
}

func benchPod(b *testing.B) *svcPod {
	p, _ := openSvcPod(b)
	agent := svcBase + "alice/settings/modules/"
	p.must(svcOwner, "PUT", "/alice/notes/", "", nil, http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/notes/.acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#m> a acl:Authorization ; acl:agent <`+agent+`r.json#module>, <`+agent+`v.json#module> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`), http.StatusCreated)
	return p
}

// BenchmarkReactorPipeline: events per second from committed changes to
// finished reactor calls (queue written by the consumer, drained by the
// module's worker), with the Go guest's echo export as the reactor.
func BenchmarkReactorPipeline(b *testing.B) {
	p := benchPod(b)
	installBench(b, p, "r", `"reactors":[{"export":"echo","container":"../../notes/"}]`)
	var cursor event.Cursor
	p.reactFeed(&cursor)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = p.svc.Run(ctx) }()
	cs := make([]event.Change, b.N)
	for i := range cs {
		cs[i] = event.Change{Seq: uint64(1_000_000 + i), Kind: event.Update, Path: fmt.Sprintf("/alice/notes/n%d.ttl", i%100), ETag: "e", Time: time.Now()}
	}
	st0, _ := p.svc.Status("/alice/settings/modules/r.json")
	b.ResetTimer()
	for i := 0; i < len(cs); i += 100 {
		if err := p.svc.Reactors().Handle(context.Background(), cs[i:min(i+100, len(cs))]); err != nil {
			b.Fatal(err)
		}
	}
	for {
		st, _ := p.svc.Status("/alice/settings/modules/r.json")
		if st.Calls-st0.Calls >= int64(b.N) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPutValidated: a PUT of a small Turtle document through a
// matching validator, and (sub-benchmark) without one, on the same pod.
func BenchmarkPutValidated(b *testing.B) {
	p := benchPod(b)
	doc := []byte(`<#it> <http://purl.org/dc/terms/title> "A note" .`)
	run := func(b *testing.B, dir string) {
		for i := 0; i < b.N; i++ {
			if w := p.as(svcOwner, "PUT", fmt.Sprintf("/alice/%s/d%d.ttl", dir, i%200), "text/turtle", doc); w.Code >= 300 {
				b.Fatalf("PUT: %d %s", w.Code, w.Body)
			}
		}
	}
	p.must(svcOwner, "PUT", "/alice/plain/", "", nil, http.StatusCreated)
	b.Run("without", func(b *testing.B) { run(b, "plain") })
	installBench(b, p, "v", `"validators":[{"export":"validate","container":"../../notes/","contentTypes":["text/turtle"]}]`)
	b.Run("validated", func(b *testing.B) { run(b, "notes") })
}

// BenchmarkRestartModules: starting a service with 10 installed Go
// modules, compiled code from the on-disk cache (what a restart adds).
func BenchmarkRestartModules(b *testing.B) {
	p, reopen := openSvcPod(b)
	bin := guestWasm(b)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	for i := 0; i < 10; i++ {
		p.must(svcOwner, "PUT", fmt.Sprintf("/alice/settings/modules/m%d.json", i), "application/json", []byte(`{"name":"m`+fmt.Sprint(i)+`","version":"1",
			"wasm":{"url":"guest.wasm","sha256":"`+hex.EncodeToString(sha(bin))+`"},"reactors":[{"export":"echo","container":"../../"}]}`), http.StatusCreated)
	}
	p.svc.Close(context.Background())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := reopen() // New, NewHandler (the guard) and Start
		b.StopTimer()
		if n := len(q.svc.modules); n != 10 {
			b.Fatalf("%d modules running", n)
		}
		q.svc.Close(context.Background())
		b.StartTimer()
	}
}

// BenchmarkIdleModuleMemory reports the heap an installed, idle Go module
// holds (compiled code, one instance in its pool).
func BenchmarkIdleModuleMemory(b *testing.B) {
	p, _ := openSvcPod(b)
	bin := guestWasm(b)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	const n = 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		p.must(svcOwner, "PUT", fmt.Sprintf("/alice/settings/modules/i%d.json", i), "application/json", []byte(`{"name":"i`+fmt.Sprint(i)+`","version":"1",
			"wasm":{"url":"guest.wasm","sha256":"`+hex.EncodeToString(sha(bin))+`"},"reactors":[{"export":"echo","container":"../../"}]}`), http.StatusCreated)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for i := 0; i < b.N; i++ {
		_ = strings.ToLower("x")
	}
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n/(1<<20), "MiB-heap/module")
	b.ReportMetric(float64(after.Sys-before.Sys)/n/(1<<20), "MiB-sys/module")
}

// BenchmarkReactorPipelineIndexer: the same pipeline with the Go example
// (examples/indexer), in the steady state of a pod whose documents are
// saved again with their titles unchanged: each event reads the document
// and swaps its index entry for the same one (a patch that writes
// nothing).
func BenchmarkReactorPipelineIndexer(b *testing.B) { benchIndexer(b, 50, false) }

// BenchmarkReactorPipelineIndexerWrites: every event's document has a
// new title, so every event rewrites the index (a 500-title document,
// patched in place: one synced write per event).
func BenchmarkReactorPipelineIndexerWrites(b *testing.B) { benchIndexer(b, 500, true) }

func benchIndexer(b *testing.B, docs int, rename bool) {
	p := benchPod(b)
	p.must(svcOwner, "PUT", "/alice/index/", "", nil, http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/index/.acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#m> a acl:Authorization ; acl:agent <`+svcBase+`alice/settings/modules/r.json#module> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write .`), http.StatusCreated)
	var index strings.Builder
	for i := 0; i < docs; i++ {
		p.must(svcOwner, "PUT", fmt.Sprintf("/alice/notes/n%d.ttl", i), "text/turtle", []byte(fmt.Sprintf(`<> <http://purl.org/dc/terms/title> "Note %d" .`, i)), http.StatusCreated)
		fmt.Fprintf(&index, "<%salice/notes/n%d.ttl> <http://purl.org/dc/terms/title> \"Note %d\" .\n", svcBase, i, i)
	}
	p.must(svcOwner, "PUT", "/alice/index/titles.ttl", "text/turtle", []byte(index.String()), http.StatusCreated)
	bin := indexerWasm(b)
	p.must(svcOwner, "PUT", "/alice/settings/modules/r.wasm", "application/wasm", bin, http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/settings/modules/r.json", "application/json", []byte(`{"name":"r","version":"1",
		"wasm":{"url":"r.wasm","sha256":"`+hex.EncodeToString(sha(bin))+`"},
		"reactors":[{"export":"on_change","container":"../../notes/"}],
		"config":{"index":"`+svcBase+`alice/index/titles.ttl"},"limits":{"memoryMiB":64}}`), http.StatusCreated)
	var cursor event.Cursor
	p.reactFeed(&cursor)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = p.svc.Run(ctx) }()
	cs := make([]event.Change, b.N)
	for i := range cs {
		cs[i] = event.Change{Seq: uint64(1_000_000 + i), Kind: event.Update, Path: fmt.Sprintf("/alice/notes/n%d.ttl", i%docs), ETag: "e", Time: time.Now()}
	}
	round := 0
	// retitle gives every document a new title (not timed): the next
	// docs events each have a title to replace.
	retitle := func() {
		b.StopTimer()
		round++
		for i := 0; i < docs; i++ {
			p.must(svcOwner, "PUT", fmt.Sprintf("/alice/notes/n%d.ttl", i), "text/turtle", []byte(fmt.Sprintf(`<> <http://purl.org/dc/terms/title> "Note %d, take %d" .`, i, round)), http.StatusNoContent)
		}
		b.StartTimer()
	}
	st0, _ := p.svc.Status("/alice/settings/modules/r.json")
	wait := func(n int64) {
		for {
			st, _ := p.svc.Status("/alice/settings/modules/r.json")
			if st.Calls-st0.Calls >= n {
				if st.Failures != st0.Failures {
					b.Fatalf("failures: %+v", st)
				}
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.ResetTimer()
	for i := 0; i < len(cs); i += docs {
		if rename {
			wait(int64(i)) // the previous round is done before the documents change again
			retitle()
		}
		batch := cs[i:min(i+docs, len(cs))]
		for j := 0; j < len(batch); j += 100 {
			if err := p.svc.Reactors().Handle(context.Background(), batch[j:min(j+100, len(batch))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	wait(int64(b.N))
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

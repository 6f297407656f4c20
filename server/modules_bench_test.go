package server

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
)

// BenchmarkPutThroughASValidator: a PUT of a small Turtle document over
// HTTP as the owner (DPoP), through the AssemblyScript example validator
// and (sub-benchmark) into a container it does not cover, on one server.
// It reports the median of each, the figure the issue asks about.
func BenchmarkPutThroughASValidator(b *testing.B) {
	bin := eventValidatorWasm(b)
	_, c := newPodClient(b)
	c.must(http.StatusCreated, "PUT", "/alice/events/", "")
	c.must(http.StatusCreated, "PUT", "/alice/plain/", "")
	agent := c.install("event-validator", bin, `{"name":"event-validator","version":"1",
		"wasm":{"url":"event-validator.wasm","sha256":"WASM_SHA256"},
		"validators":[{"export":"validate","container":"../../events/","contentTypes":["text/turtle"]}]}`)
	c.grant("/alice/events/", agent, "acl:Read")
	doc := `@prefix schema: <http://schema.org/> . <#it> a schema:Event ; schema:startDate "2026-12-24" .`
	run := func(b *testing.B, dir string) {
		times := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			start := time.Now()
			st, _, body := c.do("PUT", fmt.Sprintf("/alice/%s/e%d.ttl", dir, i%200), doc, "Content-Type", "text/turtle")
			times = append(times, time.Since(start))
			if st >= 300 {
				b.Fatalf("PUT: %d %s", st, body)
			}
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-p50")
	}
	b.Run("without", func(b *testing.B) { run(b, "plain") })
	b.Run("validated", func(b *testing.B) { run(b, "events") })
}

// BenchmarkReactorPipelineAS: reactor events per second through the
// whole pipeline (the modules-react consumer's durable queue, the
// module's worker) with the AssemblyScript example's export as the
// reactor (it reads its input and answers; no host calls).
func BenchmarkReactorPipelineAS(b *testing.B) {
	bin := eventValidatorWasm(b)
	s, c := newPodClient(b)
	c.must(http.StatusCreated, "PUT", "/alice/events/", "")
	agent := c.install("as-reactor", bin, `{"name":"as-reactor","version":"1",
		"wasm":{"url":"as-reactor.wasm","sha256":"WASM_SHA256"},
		"reactors":[{"export":"validate","container":"../../events/"}]}`)
	c.grant("/alice/events/", agent, "acl:Read")
	const manifest = "/alice/settings/modules/as-reactor.json"
	cs := make([]event.Change, b.N)
	for i := range cs {
		cs[i] = event.Change{Seq: uint64(1_000_000 + i), Kind: event.Update, Path: fmt.Sprintf("/alice/events/e%d.ttl", i%100), ETag: "e", Time: time.Now()}
	}
	st0, _ := s.mods.Status(manifest)
	b.ResetTimer()
	for i := 0; i < len(cs); i += 100 {
		if err := s.mods.Reactors().Handle(context.Background(), cs[i:min(i+100, len(cs))]); err != nil {
			b.Fatal(err)
		}
	}
	for {
		st, _ := s.mods.Status(manifest)
		if st.Calls-st0.Calls >= int64(b.N) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

package badgerstore

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/naamio/naamio/ldp"
)

const smallBody = "@prefix ex: <http://example.org/> .\n<#it> ex:says \"hello, pod\" .\n"

// BenchmarkPutSmall creates new small resources from parallel writers, on
// disk with synced commits (the real durability cost).
func BenchmarkPutSmall(b *testing.B) {
	s, _ := openTemp(b, Options{})
	var n atomic.Int64
	b.SetParallelism(8) // concurrent requests, so commits share fsyncs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			p := fmt.Sprintf("/bench/c%d/r%d.ttl", i%16, i)
			_, _, err := s.Put(context.Background(), ldp.PutRequest{
				Path: p, ContentType: "text/turtle", RDF: true, Body: strings.NewReader(smallBody),
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpenSmall reads a small resource, metadata and body.
func BenchmarkOpenSmall(b *testing.B) {
	s, _ := openTemp(b, Options{})
	putString(b, s, "/card.ttl", smallBody)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, rc, err := s.Open(context.Background(), "/card.ttl")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
	})
}

// BenchmarkStat reads a document's metadata.
func BenchmarkStat(b *testing.B) {
	s, _ := openTemp(b, Options{})
	putString(b, s, "/a/card.ttl", smallBody)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Stat(context.Background(), "/a/card.ttl"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChildren1000 lists a container of 1000 children, plus the
// container's own Stat (ETag over the listing), as a GET of it needs.
func BenchmarkChildren1000(b *testing.B) {
	s, _ := openTemp(b, Options{})
	for i := range 1000 {
		putString(b, s, fmt.Sprintf("/big/r%04d.ttl", i), smallBody)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Stat(context.Background(), "/big/"); err != nil {
			b.Fatal(err)
		}
		kids, err := s.Children(context.Background(), "/big/")
		if err != nil || len(kids) != 1000 {
			b.Fatal(len(kids), err)
		}
	}
}

// BenchmarkPutLarge streams a 64 MiB body into the store, on disk with
// synced batches (see batchChunks).
func BenchmarkPutLarge(b *testing.B) {
	s, _ := openTemp(b, Options{DiskReserve: -1})
	const n = 64 << 20
	b.SetBytes(n)
	for b.Loop() {
		if _, _, err := s.Put(context.Background(), ldp.PutRequest{Path: "/big.bin", Body: &patternReader{n: n}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenLarge reads a 64 MiB body back through io.Copy.
func BenchmarkOpenLarge(b *testing.B) {
	s, _ := openTemp(b, Options{DiskReserve: -1})
	const n = 64 << 20
	if _, _, err := s.Put(context.Background(), ldp.PutRequest{Path: "/big.bin", Body: &patternReader{n: n}}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	for b.Loop() {
		_, rc, err := s.Open(context.Background(), "/big.bin")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}

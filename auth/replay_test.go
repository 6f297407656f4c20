package auth

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// SECURITY.md row 27: the same proof replayed after 50k other proofs is
// still refused.
func TestReplayAfter50kProofs(t *testing.T) {
	cache := NewReplayCache(0)
	token := "tok"
	proof := goodProof(t, token)
	opts := ProofOptions{Replay: cache}
	if _, err := VerifyProof(proof, "GET", testURL, token, testNow, opts); err != nil {
		t.Fatal(err)
	}
	// 50,000 other proofs from many keys (thumbprints) over the next 50 s.
	for i := 0; i < 50_000; i++ {
		now := testNow.Add(time.Duration(i) * time.Millisecond)
		p := &Proof{Thumbprint: fmt.Sprintf("key-%d", i%97), JTI: fmt.Sprintf("other-%d", i), Expires: now.Add(DefaultProofWindow)}
		if err := cache.Use(p, now); err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
	}
	if cache.Len() < 50_001 {
		t.Fatalf("cache holds %d entries, want all 50,001", cache.Len())
	}
	_, err := VerifyProof(proof, "GET", testURL, token, testNow.Add(55*time.Second), opts)
	if !errors.Is(err, ErrReplay) {
		t.Fatalf("replay after 50k proofs: %v, want ErrReplay", err)
	}
}

// Real signed proofs: a fresh jti is accepted, the same proof is refused, and
// a proof with the same jti under another key is independent.
func TestReplaySigned(t *testing.T) {
	cache := NewReplayCache(0)
	opts := ProofOptions{Replay: cache}
	for i := 0; i < 200; i++ {
		if _, err := VerifyProof(goodProof(t, ""), "GET", testURL, "", testNow, opts); err != nil {
			t.Fatal(err)
		}
	}
	p := goodProof(t, "")
	if _, err := VerifyProof(p, "GET", testURL, "", testNow, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyProof(p, "GET", testURL, "", testNow.Add(time.Second), opts); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	// Failed proofs consume nothing.
	n := cache.Len()
	_, _ = VerifyProof(p, "PUT", testURL, "", testNow, opts)
	if cache.Len() != n {
		t.Fatal("rejected proof recorded")
	}
}

// When full of unexpired entries the cache refuses new proofs (fail closed)
// and keeps refusing replays; once entries expire it accepts again.
func TestReplayCacheFullFailsClosed(t *testing.T) {
	cache := NewReplayCache(100)
	exp := testNow.Add(DefaultProofWindow)
	first := &Proof{Thumbprint: "k", JTI: "first", Expires: exp}
	if err := cache.Use(first, testNow); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 99; i++ {
		if err := cache.Use(&Proof{Thumbprint: "k", JTI: fmt.Sprint(i), Expires: exp}, testNow); err != nil {
			t.Fatal(i, err)
		}
	}
	for i := 0; i < 1000; i++ {
		err := cache.Use(&Proof{Thumbprint: "k", JTI: fmt.Sprint("flood", i), Expires: exp}, testNow.Add(time.Duration(i)*time.Millisecond))
		if !errors.Is(err, ErrReplayCacheFull) || errors.Is(err, ErrReplay) {
			t.Fatalf("flood %d: %v, want ErrReplayCacheFull", i, err)
		}
	}
	if err := cache.Use(first, testNow.Add(2*time.Second)); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay while full: %v", err)
	}
	// After the window, entries expire and are swept.
	later := exp.Add(time.Second)
	if err := cache.Use(&Proof{Thumbprint: "k", JTI: "new", Expires: later.Add(DefaultProofWindow)}, later); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	// Capacity is reclaimed: a full cache's worth of new proofs fits again.
	for i := 0; i < 98; i++ {
		if err := cache.Use(&Proof{Thumbprint: "k", JTI: fmt.Sprint("next", i), Expires: later.Add(DefaultProofWindow)}, later); err != nil {
			t.Fatalf("after expiry %d: %v (len %d)", i, err, cache.Len())
		}
	}
	// Scope: same jti, other key, is a different proof.
	if err := cache.Use(&Proof{Thumbprint: "k2", JTI: "new", Expires: later.Add(DefaultProofWindow)}, later); err != nil {
		t.Fatal(err)
	}
}

func TestReplayConcurrent(t *testing.T) {
	cache := NewReplayCache(1000)
	var ok atomic.Int32
	var wg sync.WaitGroup
	p := &Proof{Thumbprint: "k", JTI: "same", Expires: testNow.Add(time.Minute)}
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cache.Use(p, testNow) == nil {
				ok.Add(1)
			}
			_ = cache.Use(&Proof{Thumbprint: "k", JTI: fmt.Sprint(i), Expires: testNow.Add(time.Minute)}, testNow)
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d goroutines accepted the same proof", ok.Load())
	}
	if cache.Len() != 33 {
		t.Fatalf("len %d, want 33", cache.Len())
	}
}

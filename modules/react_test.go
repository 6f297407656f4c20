package modules

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
)

// reactFeed hands the changes after *cursor to the reactor consumer, as
// the change-log feed does, and moves the cursor.
func (p *svcPod) reactFeed(cursor *event.Cursor) {
	p.t.Helper()
	cs, err := p.st.Changes(context.Background(), *cursor, 100000)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(cs) == 0 {
		return
	}
	if err := p.svc.Reactors().Handle(context.Background(), cs); err != nil {
		p.t.Fatal(err)
	}
	*cursor = event.Cursor(cs[len(cs)-1].Seq)
}

// eventually waits (bounded) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Reactors get every change they may read, in order, after the commit,
// from a durable queue: also after a restart; never for the module's own
// writes; a module that answers {"retry": false} has the event set aside
// as a dead letter at once.
func TestReactors(t *testing.T) {
	p, reopen := openSvcPod(t)
	bin := guestWasm(t)
	agent := svcBase + "alice/settings/modules/guest.json#module"
	for _, c := range []string{"/alice/notes/", "/alice/out/", "/alice/bad/", "/alice/hidden/"} {
		p.must(svcOwner, "PUT", c, "", nil, http.StatusCreated)
	}
	grant := func(c, modes string) {
		p.must(svcOwner, "PUT", c+".acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+agent+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode `+modes+` .`), http.StatusCreated)
	}
	grant("/alice/notes/", "acl:Read")
	grant("/alice/bad/", "acl:Read")
	grant("/alice/out/", "acl:Read, acl:Write")
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	p.must(svcOwner, "PUT", svcManifest, "application/json", []byte(`{"name":"guest","version":"1",
		"wasm":{"url":"guest.wasm","sha256":"`+hex.EncodeToString(sha(bin))+`"},
		"reactors":[{"export":"on_change","container":"../../","recursive":true},{"export":"no_retry","container":"../../bad/"}],
		"config":{"out":"`+svcBase+`alice/out/"}}`), http.StatusCreated)
	var cursor event.Cursor
	p.reactFeed(&cursor) // the set-up's changes: nothing the module may read
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.svc.Run(ctx); close(done) }()

	log := func() string { return p.as(svcOwner, "GET", "/alice/out/log.ttl", "", nil).Body.String() }
	p.must(svcOwner, "PUT", "/alice/notes/a.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/notes/a.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 2 .`), http.StatusNoContent)
	p.must(svcOwner, "DELETE", "/alice/notes/a.ttl", "", nil, http.StatusNoContent)
	p.must(svcOwner, "PUT", "/alice/hidden/h.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	p.reactFeed(&cursor)
	eventually(t, "Create, Update and Delete of a.ttl in the module's log", func() bool {
		l := log()
		return strings.Contains(l, `"Create `) && strings.Contains(l, `"Update `) && strings.Contains(l, `"Delete "`)
	})
	p.reactFeed(&cursor) // the module's own writes to out/log.ttl
	if l := log(); strings.Contains(l, "hidden") || strings.Contains(l, "log.ttl>") {
		t.Fatalf("log has events the module may not read or of its own writes:\n%s", l)
	}

	p.must(svcOwner, "PUT", "/alice/bad/x.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	p.reactFeed(&cursor)
	eventually(t, "a dead letter", func() bool { st, _ := p.svc.Status(svcManifest); return st.DeadLetters == 1 })
	st, _ := p.svc.Status(svcManifest)
	if last := st.Log[len(st.Log)-1].Message; !strings.Contains(last, "this event cannot be handled") {
		t.Errorf("last log line %q", last)
	}

	// Queued while nothing runs, then the server restarts: the event is
	// still handled.
	stop()
	<-done
	p.must(svcOwner, "PUT", "/alice/notes/b.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	p.reactFeed(&cursor)
	p.svc.Close(context.Background())
	p = reopen()
	ctx, stop = context.WithCancel(context.Background())
	defer stop()
	go func() { _ = p.svc.Run(ctx) }()
	eventually(t, "b.ttl handled after the restart", func() bool { return strings.Contains(log(), "notes/b.ttl>") })
}

// SECURITY row 48: two modules that react to each other's writes stop
// after three hops instead of writing for ever (a module's own writes
// never trigger it at all; TestReactors).
func TestReactorChainsStop(t *testing.T) { testReactorChains(t, false) }

// The chain depth travels in the change log (event.ChainOrigin), not in
// memory: a restart in the middle of a chain does not let it run longer.
func TestReactorChainsStopAcrossRestart(t *testing.T) { testReactorChains(t, true) }

func testReactorChains(t *testing.T, restart bool) {
	p, reopen := openSvcPod(t)
	bin := guestWasm(t)
	for _, c := range []string{"/alice/a/", "/alice/b/"} {
		p.must(svcOwner, "PUT", c, "", nil, http.StatusCreated)
	}
	agentA := svcBase + "alice/settings/modules/a.json#module"
	agentB := svcBase + "alice/settings/modules/b.json#module"
	grant := func(c, reader, writer string) {
		p.must(svcOwner, "PUT", c+".acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#reader> a acl:Authorization ; acl:agent <`+reader+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .
<#writer> a acl:Authorization ; acl:agent <`+writer+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write .`), http.StatusCreated)
	}
	// A reads a/ and writes b/; B reads b/ and writes a/.
	grant("/alice/a/", agentA, agentB)
	grant("/alice/b/", agentB, agentA)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	install := func(name, watch, out string) {
		p.must(svcOwner, "PUT", "/alice/settings/modules/"+name+".json", "application/json", []byte(`{"name":"`+name+`","version":"1",
			"wasm":{"url":"guest.wasm","sha256":"`+hex.EncodeToString(sha(bin))+`"},
			"reactors":[{"export":"on_change","container":"../../`+watch+`/"}],
			"config":{"out":"`+svcBase+`alice/`+out+`/"}}`), http.StatusCreated)
	}
	install("a", "a", "b")
	install("b", "b", "a")
	var cursor event.Cursor
	p.reactFeed(&cursor)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.svc.Run(ctx); close(done) }()
	defer func() { stop(); <-done }()

	p.must(svcOwner, "PUT", "/alice/a/start.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	calls := func() int64 {
		a, _ := p.svc.Status("/alice/settings/modules/a.json")
		b, _ := p.svc.Status("/alice/settings/modules/b.json")
		return a.Calls + b.Calls
	}
	// Feed until nothing more happens: hop 1 (A, the owner's write),
	// hop 2 (B, A's write), hop 3 (A, B's write); B's reaction to that
	// would be hop 4.
	for round := 0; round < 20; round++ {
		before := cursor
		p.reactFeed(&cursor)
		if cursor == before {
			break // every change fed, every reaction done
		}
		eventually(t, "the queued reactions done", func() bool { return p.queueLen() == 0 })
		if restart && calls() == 2 {
			// B's write of hop 2 is in the log, not yet fed: restart.
			restart = false
			stop()
			<-done
			p.svc.Close(context.Background())
			p = reopen()
			ctx2, cancel := context.WithCancel(context.Background())
			stop = cancel
			done = make(chan struct{})
			go func() { _ = p.svc.Run(ctx2); close(done) }()
		}
	}
	if restart {
		t.Fatal("the chain never reached its second hop")
	}
	if got := calls(); got != 3 {
		t.Fatalf("%d reactions; want 3 (the chain stops after three hops)", got)
	}
}

// queueLen counts the reactor events waiting in every module's queue.
func (p *svcPod) queueLen() int {
	n := 0
	_ = p.svc.cfg.Records.List(context.Background(), keyQueue, func(string, []byte) error { n++; return nil })
	return n
}

// Uninstalling a module while its reactor runs waits for that call to
// end (its timeout), drops its queue, and leaves the server serving; an
// upgrade that asks for more (a reactor on a container the module may not
// read) gets no more than its ACLs give it.
func TestUninstallWhileRunningAndUpgradeRights(t *testing.T) {
	p, _ := openSvcPod(t)
	bin := guestWasm(t)
	agent := svcBase + "alice/settings/modules/guest.json#module"
	for _, c := range []string{"/alice/notes/", "/alice/hidden/"} {
		p.must(svcOwner, "PUT", c, "", nil, http.StatusCreated)
	}
	p.must(svcOwner, "PUT", "/alice/notes/.acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+agent+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`), http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	manifest := func(reactors string) []byte {
		return []byte(`{"name":"guest","version":"1","wasm":{"url":"guest.wasm","sha256":"` + hex.EncodeToString(sha(bin)) + `"},
			"reactors":[` + reactors + `],"limits":{"timeoutMs":1500}}`)
	}
	p.must(svcOwner, "PUT", svcManifest, "application/json", manifest(`{"export":"echo","container":"../../notes/"}`), http.StatusCreated)
	// The upgrade adds a reactor on hidden/, which the module may not read.
	p.must(svcOwner, "PUT", svcManifest, "application/json", manifest(`{"export":"echo","container":"../../notes/"},{"export":"echo","container":"../../hidden/"}`), http.StatusNoContent)
	var cursor event.Cursor
	p.reactFeed(&cursor)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = p.svc.Run(ctx) }()
	p.must(svcOwner, "PUT", "/alice/hidden/h.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	p.reactFeed(&cursor)
	if n := p.queueLen(); n != 0 {
		t.Fatalf("%d events queued for a container the module may not read", n)
	}

	// Now a reactor that runs until its timeout, and the uninstall meanwhile.
	p.must(svcOwner, "PUT", svcManifest, "application/json", manifest(`{"export":"spin","container":"../../notes/"}`), http.StatusNoContent)
	p.reactFeed(&cursor)
	p.must(svcOwner, "PUT", "/alice/notes/a.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/notes/b.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	p.reactFeed(&cursor)
	eventually(t, "the reactor running", func() bool { st, _ := p.svc.Status(svcManifest); return st.Calls > 0 || p.queueLen() < 2 })
	p.must(svcOwner, "DELETE", svcManifest, "", nil, http.StatusNoContent)
	p.reactFeed(&cursor)
	if err := p.svc.Installer().Handle(context.Background(), p.changesSince(0)); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.svc.Status(svcManifest); ok {
		t.Fatal("still installed")
	}
	if n := p.queueLen(); n != 0 {
		t.Fatalf("%d events left queued for an uninstalled module", n)
	}
	p.must(svcOwner, "GET", "/alice/notes/a.ttl", "", nil, http.StatusOK)
}

func (p *svcPod) changesSince(after event.Cursor) []event.Change {
	p.t.Helper()
	cs, err := p.st.Changes(context.Background(), after, 100000)
	if err != nil {
		p.t.Fatal(err)
	}
	return cs
}

// A manifest with "disabled": true installs the module without running
// it: its validator lets everything through, its reactor gets nothing
// (also not later), its status says "disabled", across a restart too;
// the manifest written again without it starts the module.
func TestDisabledModule(t *testing.T) {
	p, reopen := openSvcPod(t)
	bin := guestWasm(t)
	agent := svcBase + "alice/settings/modules/guest.json#module"
	for _, c := range []string{"/alice/notes/", "/alice/out/"} {
		p.must(svcOwner, "PUT", c, "", nil, http.StatusCreated)
		p.must(svcOwner, "PUT", c+".acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+agent+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write .`), http.StatusCreated)
	}
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	manifest := func(disabled string) []byte {
		return []byte(`{"name":"guest","version":"1",
		"wasm":{"url":"guest.wasm","sha256":"` + hex.EncodeToString(sha(bin)) + `"},
		"reactors":[{"export":"on_change","container":"../../notes/"}],
		"validators":[{"export":"validate","container":"../../notes/"}],
		"config":{"out":"` + svcBase + `alice/out/"}` + disabled + `}`)
	}
	p.must(svcOwner, "PUT", svcManifest, "application/json", manifest(`,"disabled":true`), http.StatusCreated)
	state := func() string { st, _ := p.svc.Status(svcManifest); return st.State }
	if s := state(); s != StateDisabled {
		t.Fatalf("state %q, want disabled", s)
	}
	var cursor event.Cursor
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.svc.Run(ctx); close(done) }()
	p.reactFeed(&cursor)
	// The validator would refuse this; disabled, it is not called.
	p.must(svcOwner, "PUT", "/alice/notes/a.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> "forbidden" .`), http.StatusCreated)
	p.reactFeed(&cursor)
	time.Sleep(300 * time.Millisecond) // a running reactor writes out/log.ttl in far less
	if r := p.as(svcOwner, "GET", "/alice/out/log.ttl", "", nil); r.Code != http.StatusNotFound {
		t.Fatalf("a disabled module reacted: %d %s", r.Code, r.Body)
	}
	if st, _ := p.svc.Status(svcManifest); st.Calls != 0 {
		t.Fatalf("a disabled module was called: %+v", st)
	}

	// After a restart it is still disabled.
	stop()
	<-done
	p.svc.Close(context.Background())
	p = reopen()
	if s := state(); s != StateDisabled {
		t.Fatalf("after a restart: state %q, want disabled", s)
	}
	installed, err := ReadInstalled(context.Background(), p.svc.cfg.Records)
	if err != nil || len(installed) != 1 || installed[0].Status.State != StateDisabled {
		t.Fatalf("recorded: %+v, %v", installed, err)
	}

	// Enabled again: it validates and reacts.
	ctx, stop = context.WithCancel(context.Background())
	defer stop()
	go func() { _ = p.svc.Run(ctx) }()
	cursor = event.Cursor(p.st.LastSeq())
	p.must(svcOwner, "PUT", svcManifest, "application/json", manifest(""), http.StatusNoContent)
	if s := state(); s != StateRunning {
		t.Fatalf("enabled: state %q", s)
	}
	p.must(svcOwner, "PUT", "/alice/notes/b.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> "forbidden" .`), http.StatusUnprocessableEntity)
	p.must(svcOwner, "PUT", "/alice/notes/b.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	p.reactFeed(&cursor)
	eventually(t, "the enabled module reacts", func() bool {
		return strings.Contains(p.as(svcOwner, "GET", "/alice/out/log.ttl", "", nil).Body.String(), "notes/b.ttl>")
	})
	if l := p.as(svcOwner, "GET", "/alice/out/log.ttl", "", nil).Body.String(); strings.Contains(l, "notes/a.ttl>") {
		t.Fatalf("an event of the disabled time reached the module:\n%s", l)
	}
}

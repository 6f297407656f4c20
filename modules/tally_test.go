package modules

import (
	"context"
	"net/http"
	"testing"
)

// The service's Tally counts every call into its modules and the failed
// ones (the server's naamio_module_calls_total and
// naamio_module_call_failures_total, issue 16 item 4).
func TestTallyCounts(t *testing.T) {
	p, _ := openSvcPod(t)
	bin := guestWasm(t)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	p.must(svcOwner, "PUT", svcManifest, "application/json", guestManifestJSON(bin, "1", ""), http.StatusCreated)
	calls0, fails0 := p.svc.Tally().Counts()
	for range 3 {
		if _, err := p.echo(svcManifest, "v"); err != nil {
			t.Fatal(err)
		}
	}
	p.svc.mu.RLock()
	m := p.svc.modules[svcManifest]
	p.svc.mu.RUnlock()
	if _, err := m.call(context.Background(), "no_such_export", nil); err == nil {
		t.Fatal("a call of a missing export succeeded")
	}
	calls, fails := p.svc.Tally().Counts()
	if calls-calls0 != 4 || fails-fails0 != 1 {
		t.Errorf("Tally: %d calls, %d failures; want 4 and 1", calls-calls0, fails-fails0)
	}
}

package modules

import (
	"context"
	"net/http"
	"testing"
)

// The change-log installer and the write's own Committed can both
// activate the same stored version of a manifest: the installer checks
// for a running module, finds none yet (the write has committed but not
// started it), compiles, and activates after the write did. The second
// activation of the same version must keep the running module — its
// counters, log and instances — not replace it with a fresh copy (found
// by the examples' end-to-end test, whose status counters were reset).
func TestActivateSameVersionKeepsRunningModule(t *testing.T) {
	p, _ := openSvcPod(t)
	bin := guestWasm(t)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	p.must(svcOwner, "PUT", svcManifest, "application/json", guestManifestJSON(bin, "1", ""), http.StatusCreated)
	if _, err := p.echo(svcManifest, "v"); err != nil {
		t.Fatal(err)
	}
	p.svc.mu.RLock()
	running := p.svc.modules[svcManifest]
	p.svc.mu.RUnlock()

	// What installStored does when its check ran before the write's
	// activation: prepare the stored manifest and activate it.
	ctx := context.Background()
	root, owner, _ := p.svc.manifestPath(svcManifest)
	late, err := p.svc.prepareStored(ctx, svcManifest, running.iri, owner, root, guestManifestJSON(bin, "1", ""))
	if err != nil {
		t.Fatal(err)
	}
	late.etag = running.etag
	if err := p.svc.activate(ctx, late); err != nil {
		t.Fatal(err)
	}
	p.svc.mu.RLock()
	now := p.svc.modules[svcManifest]
	p.svc.mu.RUnlock()
	if now != running {
		t.Fatal("the running module was replaced by a copy of the same version")
	}
	if st, _ := p.svc.Status(svcManifest); st.Calls != 1 || st.State != StateRunning {
		t.Fatalf("status after the second activation: %+v", st)
	}
	if out, err := p.echo(svcManifest, "v"); err != nil || out != "v1" {
		t.Fatalf("after the second activation: %q, %v", out, err)
	}
}

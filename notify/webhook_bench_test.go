package notify_test

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// BenchmarkWebhookDrain: how fast the senders empty the durable queues
// once a receiver on 127.0.0.1 that was down comes back. b.N changes are
// queued for each channel on one topic (untimed), then the timer runs
// until every delivery (DPoP token and proof signed, POSTed, 2xx, removed
// from the queue) is done; ns/op is per change. One subscriber's channels
// are sent one at a time; two subscribers' side by side. The README
// figures: `go test -run XXX -bench WebhookDrain -benchtime 500x ./notify`.
func BenchmarkWebhookDrain(b *testing.B) {
	for _, tc := range []struct{ channels, subscribers int }{{1, 1}, {8, 1}, {8, 2}} {
		b.Run("channels="+strconv.Itoa(tc.channels)+"/subscribers="+strconv.Itoa(tc.subscribers), func(b *testing.B) {
			var up atomic.Bool
			rc := newReceiver(b, func(int, *http.Request) int {
				if up.Load() {
					return http.StatusOK
				}
				return http.StatusServiceUnavailable
			})
			p := newHookPod(b, notify.WebhookConfig{MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}, rc.addr())
			send := func(ag *testissuer.Agent, method, path, ct, body string) {
				if resp, out := ldptest.Send(b, ag, method, p.base+path, ct, body); resp.StatusCode >= 300 {
					b.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, out)
				}
			}
			send(p.owner, "PUT", "b/", "text/turtle", "")
			send(p.owner, "PUT", "b/.acl", "text/turtle", aclPrefix+`<#owner> a acl:Authorization ; acl:agent <`+p.owner.WebID+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#other> a acl:Authorization ; acl:agent <`+p.other.WebID+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`)
			for i := range tc.channels {
				ag := []*testissuer.Agent{p.owner, p.other}[i%tc.subscribers]
				send(ag, "POST", ".notifications/WebhookChannel2023/", "application/ld+json", hookRequest(p.base+"b/doc", rc.url()))
			}
			for i := range b.N {
				send(p.owner, "PUT", "b/doc", "text/plain", strconv.Itoa(i))
			}
			for p.queuedTB(b) < b.N*tc.channels {
				time.Sleep(10 * time.Millisecond)
			}
			b.ResetTimer()
			start := time.Now()
			up.Store(true)
			rc.wait(b, b.N*tc.channels, 5*time.Minute)
			b.StopTimer()
			b.ReportMetric(float64(b.N*tc.channels)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}

package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

// Request maps every method, status and route class it is given into the
// fixed label sets, and makes a series only when one is first used.
func TestRequestLabelsBounded(t *testing.T) {
	m := New()
	if n := testutil.CollectAndCount(m.requests); n != 0 {
		t.Fatalf("%d request series before any request", n)
	}
	for _, tc := range []struct {
		method string
		status int
		route  string
		want   string
	}{
		{"GET", 200, "ldp", `code="2xx",method="GET",route="ldp"`},
		{"BREW", 418, "ldp", `code="4xx",method="other",route="ldp"`},
		{"get", 301, "idp", `code="3xx",method="other",route="idp"`},
		{"PUT", 999, "/alice/x", `code="5xx",method="PUT",route="other"`},
		{"PATCH", 0, "<script>", `code="5xx",method="PATCH",route="other"`},
		{"OPTIONS", 101, "notify", `code="1xx",method="OPTIONS",route="notify"`},
	} {
		m.Request(tc.method, tc.status, tc.route, time.Millisecond)
		got, err := testutil.CollectAndFormat(m.requests, expfmt.TypeTextPlain, "naamio_http_requests_total")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), "naamio_http_requests_total{"+tc.want+"} 1") {
			t.Errorf("%s %d %q: no series {%s} 1 in\n%s", tc.method, tc.status, tc.route, tc.want, got)
		}
	}
	if n := testutil.CollectAndCount(m.requests); n != 6 {
		t.Errorf("%d request series after 6 distinct requests", n)
	}
	if n := testutil.CollectAndCount(m.duration); n != 3 {
		t.Errorf("%d latency series, want 3 (ldp, idp, other; a 101 has no latency)", n)
	}
}

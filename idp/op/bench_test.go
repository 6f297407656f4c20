package op

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkTokenClientCredentials measures the token endpoint for the
// client_credentials grant with DPoP: form parsing, proof verification,
// replay check, credential check (in memory here) and signing the access
// token. Building each proof (client work) is not timed.
func BenchmarkTokenClientCredentials(b *testing.B) {
	o := newTestOP(b, testWebID, nil)
	key := newKey(b)
	body := ccForm.Encode()
	htu := o.url(PathToken)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		proof, err := key.Proof(http.MethodPost, htu, "", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, PathToken, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("DPoP", proof)
		r.SetBasicAuth(credID, credSecret)
		w := httptest.NewRecorder()
		b.StartTimer()
		o.p.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

package federation

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkOutboxPost: one C2S POST of a public Note by the owner over
// real HTTP on 127.0.0.1, normalised, stored in the pod (a real Badger
// store, one synced write plus the index record) and answered 201. No
// delivery: the consumer runs after the commit, outside this path.
func BenchmarkOutboxPost(b *testing.B) {
	f := newOutboxFixture(b)
	p := f.addPod("alice", "Alice")
	body := `{"type":"Note","content":"` + strings.Repeat("benchmark ", 30) + `","to":"Public","cc":"followers"}`
	client := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, f.paths.Outbox("alice"), strings.NewReader(body))
		req.Header.Set("X-Test-WebID", p.WebID)
		req.Header.Set("Content-Type", MediaActivityJSON)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRequestLogDurationUnit: the access log's duration names its unit
// (issue 11 item 7): duration_ms, a number of milliseconds, not a bare
// "duration" that JSON shows as an integer of nanoseconds.
func TestRequestLogDurationUnit(t *testing.T) {
	url, logs := startServer(t, nil)
	resp, err := http.Get(url + "/.naamio/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-ID")
	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"request_id":"`+id+`"`) && strings.Contains(l, `"msg":"request"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no request line for %s:\n%s", id, logs.String())
	}
	if _, ok := line["duration"]; ok {
		t.Errorf("request line has a duration without a unit: %v", line)
	}
	ms, ok := line["duration_ms"].(float64)
	if !ok || ms < 0 {
		t.Fatalf("request line duration_ms = %v, want a number of milliseconds", line["duration_ms"])
	}
}

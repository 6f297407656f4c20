package notify

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// Feature values (notifications-protocol §Notification Features) that do
// not parse are 422 (subscription-server-subscription-request-unprocessable-entity):
// the bad-input table of parseFeatures.
func TestParseFeatures_BadInput(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ name, json string }{
		{"endAt not a date", `{"endAt":"tomorrow"}`},
		{"endAt month 13", `{"endAt":"2026-13-01T00:00:00Z"}`},
		{"endAt date only", `{"endAt":"2026-02-01"}`},
		{"endAt number", `{"endAt":1767225600}`},
		{"endAt in the past", `{"endAt":"2025-12-31T23:59:59Z"}`},
		{"endAt now", `{"endAt":"2026-01-01T00:00:00Z"}`},
		{"endAt wrong datatype", `{"endAt":{"@value":"2026-02-01T00:00:00Z","@type":"xsd:duration"}}`},
		{"endAt list", `{"endAt":["2026-02-01T00:00:00Z"]}`},
		{"startAt not a date", `{"startAt":"soon"}`},
		{"startAt bool", `{"startAt":true}`},
		{"startAt after endAt", `{"startAt":"2026-03-01T00:00:00Z","endAt":"2026-02-01T00:00:00Z"}`},
		{"rate negative", `{"rate":"-PT10S"}`},
		{"rate number", `{"rate":10}`},
		{"rate no P", `{"rate":"T10S"}`},
		{"rate empty", `{"rate":"P"}`},
		{"rate T without time", `{"rate":"P1DT"}`},
		{"rate units out of order", `{"rate":"PT10S5M"}`},
		{"rate repeated unit", `{"rate":"PT1S1S"}`},
		{"rate fraction of days", `{"rate":"P1.5D"}`},
		{"rate NaN", `{"rate":"PTNaNS"}`},
		{"rate exponent", `{"rate":"PT1e3S"}`},
		{"rate huge", `{"rate":"P99999999999999999999Y"}`},
		{"rate over two weeks", `{"rate":"P15D"}`},
		{"rate seconds only", `{"rate":"10"}`},
		{"accept turtle", `{"accept":"text/turtle"}`},
		{"accept unknown", `{"accept":"application/x-nonsense"}`},
		{"accept refused ld+json", `{"accept":"application/ld+json;q=0"}`},
		{"accept empty", `{"accept":""}`},
		{"accept malformed", `{"accept":"application/ld+json;;;="}`},
		{"accept number", `{"accept":1}`},
		{"state object", `{"state":{"id":"x"}}`},
		{"state null", `{"state":null}`},
		{"state too long", `{"state":"` + strings.Repeat("a", 2000) + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.json), &doc); err != nil {
				t.Fatal(err)
			}
			f, err := parseFeatures(doc, now)
			if !errors.Is(err, errUnprocessed) {
				t.Fatalf("parseFeatures(%s) = %+v, %v; want a 422 error", tc.json, f, err)
			}
		})
	}
}

// Good feature values, as clients send them.
func TestParseFeatures(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		json string
		want features
	}{
		{`{}`, features{}},
		{`{"accept":"application/ld+json"}`, features{Accept: sendType}},
		{`{"accept":"text/turtle;q=0.9, application/ld+json;q=0.5"}`, features{Accept: sendType}},
		{`{"accept":"*/*"}`, features{Accept: sendType}},
		{`{"endAt":"2026-02-01T00:00:00Z"}`, features{EndAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}},
		{`{"endAt":"2026-02-01T02:00:00.5+02:00"}`, features{EndAt: time.Date(2026, 2, 1, 0, 0, 0, 5e8, time.UTC)}},
		{`{"endAt":{"@value":"2026-02-01T00:00:00","@type":"xsd:dateTime"}}`, features{EndAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}},
		{`{"startAt":"2025-01-01T00:00:00Z"}`, features{StartAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{`{"rate":"PT10S"}`, features{Rate: 10 * time.Second}},
		{`{"rate":"PT0.5S"}`, features{Rate: 500 * time.Millisecond}},
		{`{"rate":"P1DT1H1M1S"}`, features{Rate: 25*time.Hour + time.Minute + time.Second}},
		{`{"rate":"P2W"}`, features{Rate: 14 * 24 * time.Hour}},
		{`{"rate":"PT0S"}`, features{}},
		{`{"state":"\"abc\""}`, features{State: `"abc"`}},
	} {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.json), &doc); err != nil {
			t.Fatal(err)
		}
		got, err := parseFeatures(doc, now)
		if err != nil || got != tc.want {
			t.Errorf("parseFeatures(%s) = %+v, %v; want %+v", tc.json, got, err, tc.want)
		}
	}
}

// admit: nothing before startAt or after endAt; with a rate, one
// notification per interval, the others dropped.
func TestChannelAdmit(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var g rateGate
	c := &channel{Token: "t", StartAt: t0.Add(time.Minute), EndAt: t0.Add(time.Hour), Rate: 10 * time.Second}
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{
		{0, false},          // before startAt
		{time.Minute, true}, // the first
		{time.Minute + time.Second, false},
		{time.Minute + 9*time.Second, false},
		{time.Minute + 10*time.Second, true},
		{time.Hour, false}, // endAt
	} {
		if got := c.admit(&g, t0.Add(tc.at)); got != tc.want {
			t.Errorf("admit at +%s = %v, want %v", tc.at, got, tc.want)
		}
	}
}

// FuzzParseFeatures: any feature values give features or a 422, never a
// panic, and a rate is never negative.
func FuzzParseFeatures(f *testing.F) {
	f.Add(`"PT10S"`, `"2030-01-01T00:00:00Z"`, `"application/ld+json"`)
	f.Add(`"-P1D"`, `{"@value":"x"}`, `null`)
	f.Add(`"P1Y2M3W4DT5H6M7.5S"`, `"2030-01-01T00:00:00"`, `"*/*;q=0.1"`)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rate, endAt, accept string) {
		doc := map[string]json.RawMessage{"rate": json.RawMessage(rate), "endAt": json.RawMessage(endAt), "accept": json.RawMessage(accept)}
		got, err := parseFeatures(doc, now)
		if err != nil {
			if !errors.Is(err, errUnprocessed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if got.Rate < 0 || got.Rate > maxRate || (!got.EndAt.IsZero() && !got.EndAt.After(now)) {
			t.Fatalf("accepted %+v", got)
		}
	})
}

package notify

import (
	"encoding/json"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"
)

// The notification features every channel type offers
// (notifications-protocol §Notification Features), as the reference
// server offers them on all its channel types: accept, endAt, rate,
// startAt, state.
var featureNames = []string{"accept", "endAt", "rate", "startAt", "state"}

// featureIRIs are the features' IRIs, for the storage description.
func featureIRIs() []string {
	out := make([]string, len(featureNames))
	for i, f := range featureNames {
		out[i] = nsNotify + f
	}
	return out
}

// maxRate is the longest rate accepted: the reference server's maximum
// channel lifetime (DefaultMaxDuration); a longer one could never let a
// second notification through.
const maxRate = DefaultMaxDuration

// sendType is the one representation notifications are sent in.
const sendType = "application/ld+json"

// features are what a channel request asked for; the zero value asks for
// nothing.
type features struct {
	Accept  string        // the media type asked for ("" or sendType)
	EndAt   time.Time     // zero: the service's maximum
	Rate    time.Duration // zero: no limit
	StartAt time.Time     // zero: at once
	State   string        // the state the subscriber has ("": none)
}

// parseFeatures reads the features of a compacted channel request. Each
// is a string, or a value object {"@value": string} (with an @type, if
// any, of the feature's datatype); anything else, a value that does not
// parse, and an accept this server cannot send is 422
// (subscription-server-subscription-request-unprocessable-entity), as
// the reference server's SHACL shape refuses a wrong datatype.
func parseFeatures(doc map[string]json.RawMessage, now time.Time) (features, error) {
	var f features
	for _, name := range featureNames {
		raw, ok := doc[name]
		if !ok {
			continue
		}
		v, err := literalOf(raw, name)
		if err != nil {
			return features{}, err
		}
		switch name {
		case "accept":
			if !acceptsJSONLD(v) {
				return features{}, fmt.Errorf("%w: accept: notifications are sent only as %s", errUnprocessed, sendType)
			}
			f.Accept = sendType
		case "endAt":
			f.EndAt, err = parseDateTime(v)
		case "startAt":
			f.StartAt, err = parseDateTime(v)
		case "rate":
			f.Rate, err = parseDuration(v)
			if err == nil && f.Rate > maxRate {
				err = fmt.Errorf("longer than %s", maxRate)
			}
		case "state":
			if len(v) > 1024 {
				err = fmt.Errorf("too long")
			}
			f.State = v
		}
		if err != nil {
			return features{}, fmt.Errorf("%w: %s %q: %v", errUnprocessed, name, truncate(v), err)
		}
	}
	if !f.EndAt.IsZero() && !f.EndAt.After(now) {
		// The reference server would make a channel that is dead at once;
		// we say so instead.
		return features{}, fmt.Errorf("%w: endAt is not in the future", errUnprocessed)
	}
	if !f.StartAt.IsZero() && !f.EndAt.IsZero() && !f.StartAt.Before(f.EndAt) {
		return features{}, fmt.Errorf("%w: startAt is not before endAt", errUnprocessed)
	}
	return f, nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Datatypes the features' values may name in a value object.
var featureTypes = map[string][]string{
	"accept":  {"xsd:string", "http://www.w3.org/2001/XMLSchema#string"},
	"state":   {"xsd:string", "http://www.w3.org/2001/XMLSchema#string"},
	"endAt":   {"xsd:dateTime", "http://www.w3.org/2001/XMLSchema#dateTime"},
	"startAt": {"xsd:dateTime", "http://www.w3.org/2001/XMLSchema#dateTime"},
	"rate":    {"xsd:duration", "http://www.w3.org/2001/XMLSchema#duration"},
}

// literalOf reads a feature's lexical value: "v" or {"@value": "v",
// "@type": <its datatype>}.
func literalOf(raw json.RawMessage, name string) (string, error) {
	var s string
	if strings.TrimSpace(string(raw)) != "null" && json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var obj struct {
		Value *string `json:"@value"`
		Type  string  `json:"@type"`
	}
	if json.Unmarshal(raw, &obj) != nil || obj.Value == nil {
		return "", fmt.Errorf("%w: %s must be a string", errUnprocessed, name)
	}
	if obj.Type != "" {
		ok := false
		for _, t := range featureTypes[name] {
			ok = ok || obj.Type == t
		}
		if !ok {
			return "", fmt.Errorf("%w: %s must be a %s", errUnprocessed, name, featureTypes[name][0])
		}
	}
	return *obj.Value, nil
}

// acceptsJSONLD reports whether an accept value (a media type or an
// Accept-style list of ranges) admits application/ld+json with q > 0.
func acceptsJSONLD(v string) bool {
	if strings.TrimSpace(v) == "" {
		return false
	}
	for _, part := range strings.Split(v, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			return false
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err != nil || f < 0 || f > 1 {
				return false
			} else if f == 0 {
				continue
			}
		}
		switch mt {
		case sendType, "application/*", "*/*":
			return true
		}
	}
	return false
}

// parseDateTime reads an xsd:dateTime. A value without a time zone is
// read as UTC (XML Schema leaves it open; the server's clock is UTC).
func parseDateTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an xsd:dateTime")
}

// parseDuration reads a non-negative xsd:duration (PnYnMnDTnHnMnS; a year
// counted as 365 days and a month as 30, as the reference server's
// library counts them). Only the seconds may have a fraction.
func parseDuration(v string) (time.Duration, error) {
	bad := fmt.Errorf("not a non-negative xsd:duration")
	rest, ok := strings.CutPrefix(v, "P")
	if !ok || rest == "" || strings.HasSuffix(rest, "T") {
		return 0, bad
	}
	const day = 24 * time.Hour
	date, clock, hasT := strings.Cut(rest, "T")
	var total float64
	add := func(s, units string, sizes []time.Duration, fracLast bool) bool {
		at := 0
		for s != "" {
			i := strings.IndexAny(s, units[at:])
			if i <= 0 {
				return false
			}
			u := strings.IndexByte(units, s[i])
			num := s[:i]
			if !isDecimal(num) || (strings.Contains(num, ".") && (!fracLast || u != len(units)-1)) {
				return false
			}
			n, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return false
			}
			total += n * float64(sizes[u])
			at = u + 1
			s = s[i+1:]
		}
		return true
	}
	if !add(date, "YMWD", []time.Duration{365 * day, 30 * day, 7 * day, day}, false) {
		return 0, bad
	}
	if hasT && (clock == "" || !add(clock, "HMS", []time.Duration{time.Hour, time.Minute, time.Second}, true)) {
		return 0, bad
	}
	if total > float64(1<<62) {
		return 0, fmt.Errorf("too long")
	}
	return time.Duration(total), nil
}

// isDecimal: digits, with at most one "." between digits.
func isDecimal(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	digits := func(d string) bool {
		for _, c := range d {
			if c < '0' || c > '9' {
				return false
			}
		}
		return d != ""
	}
	return digits(whole) && (!dot || digits(frac))
}

// formatDuration writes d as an xsd:duration in seconds ("PT10S").
func formatDuration(d time.Duration) string {
	return "PT" + strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "S"
}

// withFeatures applies what a request asked for to a new channel: its
// endAt only shortens the service's maximum lifetime (as the reference
// server caps it).
func (c *channel) withFeatures(f features) {
	if !f.EndAt.IsZero() && f.EndAt.Before(c.EndAt) {
		c.EndAt = f.EndAt
	}
	c.Accept, c.Rate, c.StartAt, c.State = f.Accept, f.Rate, f.StartAt, f.State
}

// describeFeatures adds the channel's features to its description (the
// subscription response), as the reference server echoes them.
func (c *channel) describeFeatures(d map[string]any) {
	if c.Accept != "" {
		d["accept"] = c.Accept
	}
	if c.Rate > 0 {
		d["rate"] = formatDuration(c.Rate)
	}
	if !c.StartAt.IsZero() {
		d["startAt"] = c.StartAt.Format(time.RFC3339Nano)
	}
	if c.State != "" {
		d["state"] = c.State
	}
}

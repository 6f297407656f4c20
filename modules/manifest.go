package modules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// ErrInvalid marks a manifest or module the server refuses (422): the
// error's text is the reason, written for the person installing it.
var ErrInvalid = errors.New("invalid module")

// Limits of the manifest contract (issue 13, "The contract").
const (
	MaxManifest      = 64 << 10 // bytes of manifest JSON
	MaxWasm          = 10 << 20 // bytes of a module's binary
	DefaultTimeoutMs = 1000
	MaxTimeoutMs     = 10000
	DefaultMemoryMiB = 16
	MaxMemoryMiB     = 64
	maxListed        = 32 // reactors, validators, hosts, types, content types
	maxConfig        = 64 // config entries
	maxConfigValue   = 4 << 10
)

// Change types a reactor may ask for; the default is all three.
var changeTypes = []string{"Create", "Update", "Delete"}

// Manifest is a module's manifest as installed: every IRI absolute,
// every default filled in.
type Manifest struct {
	Name         string      `json:"name"`
	Version      string      `json:"version"`
	Wasm         Wasm        `json:"wasm"`
	Reactors     []Reactor   `json:"reactors,omitempty"`
	Validators   []Validator `json:"validators,omitempty"`
	AllowedHosts []string    `json:"allowedHosts,omitempty"`
	// Access declares what else the module needs (Write on the container
	// it keeps an index in, say), beyond Read on the containers its
	// reactors and validators name. It grants nothing by itself: it is
	// what an installer (the modules page's permission prompt) shows and
	// writes into ACLs when the owner approves.
	Access []Access          `json:"access,omitempty"`
	Config map[string]string `json:"config,omitempty"`
	Limits Limits            `json:"limits"`
	// Disabled keeps the module installed (its binary checked and kept)
	// without running it: no reactor or validator is called, events of
	// the time it is off are not queued for it, and its status says
	// "disabled". Writing the manifest again without it starts the module.
	Disabled bool `json:"disabled,omitempty"`
}

// Wasm names the module's binary and its digest.
type Wasm struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
}

// Reactor is an export called after a change inside Container.
type Reactor struct {
	Export       string   `json:"export"`
	Container    string   `json:"container"`
	Recursive    bool     `json:"recursive,omitempty"`
	Types        []string `json:"types,omitempty"`
	ContentTypes []string `json:"contentTypes,omitempty"`
}

// Validator is an export asked before a write of an RDF document inside
// Container commits.
type Validator struct {
	Export       string   `json:"export"`
	Container    string   `json:"container"`
	ContentTypes []string `json:"contentTypes,omitempty"`
}

// Access is one container the module asks rights on (and below it).
type Access struct {
	Container string   `json:"container"`
	Modes     []string `json:"modes"`
}

// accessModes are the modes a module may ask for: never Control.
var accessModes = []string{"Read", "Append", "Write"}

func (a *Access) check(base *url.URL, field string) error {
	if err := checkContainer(base, field, &a.Container); err != nil {
		return err
	}
	if len(a.Modes) == 0 {
		return invalid(field+".modes", "list some of Read, Append, Write")
	}
	seen := map[string]bool{}
	for _, md := range a.Modes {
		if !slices.Contains(accessModes, md) || seen[md] {
			return invalid(field+".modes", "%q: each of Read, Append, Write at most once (a module never gets Control)", md)
		}
		seen[md] = true
	}
	return nil
}

// Limits bound every call of the module.
type Limits struct {
	TimeoutMs int `json:"timeoutMs,omitempty"`
	MemoryMiB int `json:"memoryMiB,omitempty"`
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	exportRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	hexRE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// hostRE: a DNS name, optionally with a leading "*." wildcard label
	// (Extism's allowed_hosts syntax), no scheme, port or path.
	hostRE = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// ParseManifest reads a manifest written at the IRI self, refusing
// anything the contract does not allow (unknown fields included), and
// returns it with its IRIs resolved against self and its defaults set.
// Every refusal wraps ErrInvalid and names the field.
func ParseManifest(body []byte, self string) (*Manifest, error) {
	base, err := url.Parse(self)
	if err != nil || !base.IsAbs() {
		return nil, fmt.Errorf("modules: manifest IRI %q is not absolute", self)
	}
	if len(body) > MaxManifest {
		return nil, invalid("", "the manifest is larger than %d KiB", MaxManifest>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, invalid("", "not a manifest: %s", jsonReason(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("", "not a manifest: more than one JSON value")
	}
	if err := m.check(base); err != nil {
		return nil, err
	}
	return &m, nil
}

// check validates m and fills in its defaults.
func (m *Manifest) check(base *url.URL) error {
	if !nameRE.MatchString(m.Name) {
		return invalid("name", "required: 1–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if m.Version == "" || len(m.Version) > 64 || strings.ContainsAny(m.Version, " \t\r\n") {
		return invalid("version", "required: up to 64 characters without spaces (for example 1.0.0)")
	}
	if err := m.checkWasm(base); err != nil {
		return err
	}
	if len(m.Reactors) == 0 && len(m.Validators) == 0 {
		return invalid("", "a module needs at least one reactor or validator")
	}
	if len(m.Reactors) > maxListed || len(m.Validators) > maxListed {
		return invalid("", "at most %d reactors and %d validators", maxListed, maxListed)
	}
	for i := range m.Reactors {
		if err := m.Reactors[i].check(base, fmt.Sprintf("reactors[%d]", i)); err != nil {
			return err
		}
	}
	for i := range m.Validators {
		if err := m.Validators[i].check(base, fmt.Sprintf("validators[%d]", i)); err != nil {
			return err
		}
	}
	if len(m.Access) > maxListed {
		return invalid("access", "at most %d containers", maxListed)
	}
	for i := range m.Access {
		if err := m.Access[i].check(base, fmt.Sprintf("access[%d]", i)); err != nil {
			return err
		}
	}
	if err := m.checkHosts(); err != nil {
		return err
	}
	if err := m.checkConfig(); err != nil {
		return err
	}
	return m.Limits.check()
}

func (m *Manifest) checkWasm(base *url.URL) error {
	if m.Wasm.URL == "" {
		return invalid("wasm.url", "required: the module's .wasm, relative to the manifest or an https URL")
	}
	u, err := base.Parse(m.Wasm.URL)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return invalid("wasm.url", "%q is not a usable URL", m.Wasm.URL)
	}
	sameOrigin := u.Scheme == base.Scheme && u.Host == base.Host
	if !sameOrigin && u.Scheme != "https" {
		return invalid("wasm.url", "a module from another server must be fetched over https")
	}
	m.Wasm.URL = u.String()
	if !hexRE.MatchString(m.Wasm.SHA256) {
		return invalid("wasm.sha256", "required: the SHA-256 of the .wasm as 64 lowercase hex digits (sha256sum prints it)")
	}
	return nil
}

func (r *Reactor) check(base *url.URL, field string) error {
	if err := checkTarget(base, field, &r.Export, &r.Container); err != nil {
		return err
	}
	if r.Types == nil {
		r.Types = append([]string(nil), changeTypes...)
	}
	if len(r.Types) == 0 {
		return invalid(field+".types", "leave it out for all changes, or list some of Create, Update, Delete")
	}
	seen := map[string]bool{}
	for _, t := range r.Types {
		if !slices.Contains(changeTypes, t) || seen[t] {
			return invalid(field+".types", "%q: each of Create, Update, Delete at most once", t)
		}
		seen[t] = true
	}
	var err error
	r.ContentTypes, err = checkContentTypes(field, r.ContentTypes)
	return err
}

func (v *Validator) check(base *url.URL, field string) error {
	if err := checkTarget(base, field, &v.Export, &v.Container); err != nil {
		return err
	}
	var err error
	v.ContentTypes, err = checkContentTypes(field, v.ContentTypes)
	return err
}

// checkTarget checks an export name and resolves its container.
func checkTarget(base *url.URL, field string, export, container *string) error {
	if !exportRE.MatchString(*export) {
		return invalid(field+".export", "required: the name of a function the module exports")
	}
	return checkContainer(base, field, container)
}

// checkContainer resolves a container IRI against the manifest's.
func checkContainer(base *url.URL, field string, container *string) error {
	if *container == "" {
		return invalid(field+".container", "required: a container IRI, relative to the manifest")
	}
	u, err := base.Parse(*container)
	if err != nil || u.Scheme != base.Scheme || u.Host != base.Host || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return invalid(field+".container", "%q must be a container on this server", *container)
	}
	if !strings.HasSuffix(u.Path, "/") {
		return invalid(field+".container", "%q is not a container (it must end with /)", *container)
	}
	*container = u.String()
	return nil
}

// checkContentTypes normalizes a content-type list (nil: any).
func checkContentTypes(field string, list []string) ([]string, error) {
	if list != nil && len(list) == 0 {
		return nil, invalid(field+".contentTypes", "leave it out for any type, or list media types")
	}
	if len(list) > maxListed {
		return nil, invalid(field+".contentTypes", "at most %d media types", maxListed)
	}
	out := make([]string, 0, len(list))
	for _, ct := range list {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || len(params) != 0 || !strings.Contains(mt, "/") || strings.Contains(mt, "*") {
			return nil, invalid(field+".contentTypes", "%q is not a media type such as text/turtle", ct)
		}
		out = append(out, mt)
	}
	if list == nil {
		return nil, nil
	}
	return out, nil
}

func (m *Manifest) checkHosts() error {
	if len(m.AllowedHosts) > maxListed {
		return invalid("allowedHosts", "at most %d hosts", maxListed)
	}
	for i, h := range m.AllowedHosts {
		if len(h) > 253 || !hostRE.MatchString(h) {
			return invalid(fmt.Sprintf("allowedHosts[%d]", i), "%q is not a host name (lowercase, no scheme, port or path; \"*.\" may start it)", h)
		}
	}
	return nil
}

func (m *Manifest) checkConfig() error {
	if len(m.Config) > maxConfig {
		return invalid("config", "at most %d entries", maxConfig)
	}
	for k, v := range m.Config {
		if k == "" || len(k) > 128 || len(v) > maxConfigValue {
			return invalid("config", "keys are 1–128 characters and values at most %d KiB", maxConfigValue>>10)
		}
	}
	return nil
}

func (l *Limits) check() error {
	if l.TimeoutMs == 0 {
		l.TimeoutMs = DefaultTimeoutMs
	}
	if l.MemoryMiB == 0 {
		l.MemoryMiB = DefaultMemoryMiB
	}
	if l.TimeoutMs < 1 || l.TimeoutMs > MaxTimeoutMs {
		return invalid("limits.timeoutMs", "between 1 and %d", MaxTimeoutMs)
	}
	if l.MemoryMiB < 1 || l.MemoryMiB > MaxMemoryMiB {
		return invalid("limits.memoryMiB", "between 1 and %d", MaxMemoryMiB)
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrInvalid, msg)
}

// jsonReason words a decoding error for a person: the field and what was
// wrong, without Go type names.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return "the manifest must be a JSON object"
		}
		return fmt.Sprintf("%s: wrong kind of value (%s)", field, te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("JSON syntax error at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the manifest is empty or cut short"
	}
	return err.Error()
}

package httpsig

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
	"time"

	sfv "github.com/dunglas/httpsfv"
)

// algRSAv15 is the one RFC 9421 algorithm accepted (and the one Fedify signs
// with): RSASSA-PKCS1-v1_5 with SHA-256 (RFC 9421 §3.3.2).
const algRSAv15 = "rsa-v1_5-sha256"

// parse9421 checks an RFC 9421 signature up to the point where the key is
// needed. When a request carries several signatures, the first label of
// Signature-Input that also has a Signature is the one verified.
func (v *Verifier) parse9421(m *message, body []byte) (*candidate, error) {
	rawInput := strings.Join(m.header.Values("Signature-Input"), ", ")
	rawSig := strings.Join(m.header.Values("Signature"), ", ")
	inputs, err := sfv.UnmarshalDictionary([]string{rawInput})
	if err != nil {
		return nil, reject(ErrMalformed, "Signature-Input: %v", err)
	}
	sigs, err := sfv.UnmarshalDictionary([]string{rawSig})
	if err != nil {
		return nil, reject(ErrMalformed, "Signature: %v", err)
	}
	for _, raw := range []string{rawInput, rawSig} {
		if dup, ok := sfvDuplicates(raw); ok {
			return nil, reject(ErrDuplicate, "%q twice", dup)
		}
	}
	var label string
	for _, name := range inputs.Names() {
		if _, ok := sigs.Get(name); ok {
			label = name
			break
		}
	}
	if label == "" {
		return nil, reject(ErrMalformed, "no label in both Signature-Input and Signature")
	}
	in, _ := inputs.Get(label)
	list, ok := in.(sfv.InnerList)
	if !ok {
		return nil, reject(ErrMalformed, "Signature-Input %s is not an inner list", label)
	}
	sm, _ := sigs.Get(label)
	sigItem, ok := sm.(sfv.Item)
	sig, isBytes := sigItem.Value.([]byte)
	if !ok || !isBytes {
		return nil, reject(ErrMalformed, "Signature %s is not a byte sequence", label)
	}

	keyID, err := v.check9421Params(list.Params)
	if err != nil {
		return nil, err
	}
	covered, err := components(list)
	if err != nil {
		return nil, err
	}
	if _, created := list.Params.Get("created"); !created && !covered["date"] {
		return nil, reject(ErrNotCovered, "neither created nor date signed")
	}
	if err := v.check9421Coverage(m, covered, body); err != nil {
		return nil, err
	}
	base, err := signatureBase(m, list)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(base)
	return &candidate{
		scheme: RFC9421,
		keyID:  keyID,
		verify: func(k *rsa.PublicKey) error { return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) },
	}, nil
}

// check9421Params checks the signature parameters (RFC 9421 §2.3): keyid
// required, alg absent or rsa-v1_5-sha256, created within the skew,
// expires not passed.
func (v *Verifier) check9421Params(p *sfv.Params) (string, error) {
	kv, _ := p.Get("keyid")
	keyID, _ := kv.(string)
	if keyID == "" {
		return "", reject(ErrMalformed, "no keyid")
	}
	if a, ok := p.Get("alg"); ok {
		if s, _ := a.(string); s != algRSAv15 {
			return "", reject(ErrAlgorithm, "alg %v", a)
		}
	}
	if c, ok := p.Get("created"); ok {
		n, isInt := c.(int64)
		if !isInt {
			return "", reject(ErrMalformed, "created is not an integer")
		}
		if err := v.checkTime("created", time.Unix(n, 0)); err != nil {
			return "", err
		}
	}
	if e, ok := p.Get("expires"); ok {
		n, isInt := e.(int64)
		if !isInt {
			return "", reject(ErrMalformed, "expires is not an integer")
		}
		if v.now().After(time.Unix(n, 0)) {
			return "", reject(ErrDate, "signature expired")
		}
	}
	return keyID, nil
}

// components lists the covered component names, refusing repeats and
// components with parameters (";sf", ";key", ";bs", ";req", ";name").
func components(list sfv.InnerList) (map[string]bool, error) {
	covered := map[string]bool{}
	for _, it := range list.Items {
		name, ok := it.Value.(string)
		if !ok || name == "" {
			return nil, reject(ErrMalformed, "component is not a string")
		}
		if len(it.Params.Names()) > 0 {
			return nil, reject(ErrMalformed, "component %q has parameters", name)
		}
		if covered[name] {
			return nil, reject(ErrDuplicate, "component %q twice", name)
		}
		covered[name] = true
	}
	return covered, nil
}

// check9421Coverage: method, target, host and (for a body) content-digest
// must be signed (SECURITY row 37); a signed
// Date must be in the window (row 38) and a Content-Digest must match the
// body.
func (v *Verifier) check9421Coverage(m *message, covered map[string]bool, body []byte) error {
	switch {
	case !covered["@method"]:
		return reject(ErrNotCovered, "@method not signed")
	case !covered["@target-uri"] && !covered["@path"] && !covered["@request-target"]:
		return reject(ErrNotCovered, "neither @target-uri nor @path signed")
	case !covered["@authority"] && !covered["host"] && !covered["@target-uri"]:
		return reject(ErrNotCovered, "neither @authority nor host signed")
	case bodyMethod(m.method) && !covered["content-digest"]:
		return reject(ErrNotCovered, "content-digest not signed")
	}
	if covered["date"] {
		if err := v.checkDate(m.header); err != nil {
			return err
		}
	}
	if covered["content-digest"] {
		if err := contentDigest(m.header.Values("Content-Digest"), body); err != nil {
			return err
		}
	}
	return nil
}

// contentDigest checks a Content-Digest field (RFC 9530: a dictionary of
// byte sequences, "sha-256=:<base64>:") against the body.
func contentDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return reject(ErrDigest, "no Content-Digest header")
	}
	d, err := sfv.UnmarshalDictionary(values)
	if err != nil {
		return reject(ErrDigest, "malformed Content-Digest")
	}
	if dup, ok := sfvDuplicates(strings.Join(values, ", ")); ok {
		return reject(ErrDuplicate, "Content-Digest %s twice", dup)
	}
	claims := map[string][]byte{}
	for _, alg := range d.Names() {
		mem, _ := d.Get(alg)
		it, ok := mem.(sfv.Item)
		b, isBytes := it.Value.([]byte)
		if !ok || !isBytes {
			return reject(ErrDigest, "Content-Digest %s is not a byte sequence", alg)
		}
		claims[alg] = b
	}
	return matchDigests(claims, body)
}

// signatureBase builds the RFC 9421 §2.5 signature base of m for the
// covered components and parameters in list.
func signatureBase(m *message, list sfv.InnerList) ([]byte, error) {
	var b strings.Builder
	for _, it := range list.Items {
		name, _ := it.Value.(string)
		val, err := m.component(name)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(val, "\r\n") {
			return nil, reject(ErrMalformed, "component %q has a line break", name)
		}
		id, err := sfv.Marshal(it)
		if err != nil {
			return nil, reject(ErrMalformed, "component %q: %v", name, err)
		}
		b.WriteString(id)
		b.WriteString(": ")
		b.WriteString(val)
		b.WriteByte('\n')
	}
	params, err := sfv.Marshal(list)
	if err != nil {
		return nil, reject(ErrMalformed, "signature parameters: %v", err)
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(params)
	return []byte(b.String()), nil
}

// component is the value of one covered component (RFC 9421 §2.1, §2.2).
func (m *message) component(name string) (string, error) {
	switch name {
	case "@method":
		return m.method, nil
	case "@target-uri":
		return m.scheme + "://" + m.authority + m.target, nil
	case "@authority":
		return m.authority, nil
	case "@scheme":
		return m.scheme, nil
	case "@request-target":
		return m.target, nil
	case "@path":
		return m.path(), nil
	case "@query":
		return "?" + m.query(), nil
	case "host":
		return m.host, nil
	}
	if strings.HasPrefix(name, "@") {
		return "", reject(ErrMalformed, "unsupported component %q", name)
	}
	vals := m.header.Values(name)
	if len(vals) == 0 {
		return "", reject(ErrNotCovered, "signed header %q is missing", name)
	}
	trimmed := make([]string, len(vals))
	for i, s := range vals {
		trimmed[i] = strings.TrimSpace(s)
	}
	return strings.Join(trimmed, ", "), nil
}

package auth

// The first step of verifying a token from elsewhere: the WebID profile must
// name the token's issuer (Solid-OIDC §5, SECURITY.md row 32).

import (
	"bytes"
	"context"
	"mime"
	"strings"
	"time"

	"github.com/naamio/naamio/rdf"
)

// solidOIDCIssuer is the predicate a WebID profile uses to name the issuers
// it trusts (Solid-OIDC §5).
const solidOIDCIssuer = rdf.SolidNS + "oidcIssuer"

// containsIssuer compares issuer IRIs after trimming one trailing slash on
// both sides: profiles commonly write <https://idp.example/> while the
// token's iss is "https://idp.example" (or the reverse). Nothing else is
// normalised.
func containsIssuer(list []string, iss string) bool {
	iss = strings.TrimSuffix(iss, "/")
	for _, s := range list {
		if s == iss {
			return true
		}
	}
	return false
}

// profileIssuers returns the (slash-trimmed) solid:oidcIssuer values of
// webid, from the cache or by fetching its profile document.
func (a *Authenticator) profileIssuers(ctx context.Context, webid string, now time.Time) ([]string, error) {
	if l, ok := a.profiles.get(webid, now); ok {
		return l, nil
	}
	doc := webid
	if i := strings.IndexByte(doc, '#'); i >= 0 {
		doc = doc[:i]
	}
	resp, err := a.fetch(ctx, doc, rdf.MediaTurtle, "WebID profile")
	if err != nil {
		return nil, err
	}
	mt := rdf.MediaTurtle
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if m, _, err := mime.ParseMediaType(ct); err == nil && rdf.Supported(m) {
			mt = m
		}
	}
	g, err := rdf.Parse(bytes.NewReader(resp.Body), mt, doc, rdf.Limits{MaxTriples: 100_000})
	if err != nil {
		return nil, unauthReason("WebID profile does not parse", err)
	}
	var l []string
	for _, tr := range g.Match(rdf.NewIRI(webid), rdf.NewIRI(solidOIDCIssuer), rdf.Term{}) {
		if tr.O.Kind == rdf.IRI {
			l = append(l, strings.TrimSuffix(tr.O.Value, "/"))
		}
		if len(l) >= 32 {
			break
		}
	}
	// Cached whatever it lists, so a WebID that does not list an issuer is
	// refused from the cache on the next attempt.
	a.profiles.put(webid, l, now.Add(a.ttl), now)
	return l, nil
}

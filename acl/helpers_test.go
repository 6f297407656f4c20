package acl

import (
	"context"
	"errors"
	"testing"
)

const (
	base   = "https://pod.example/"
	aclIRI = base + ".acl"
	alice  = "https://alice.example/profile/card#me"
	bob    = "https://bob.example/#me"
	carol  = "https://carol.example/#me"
	prefix = "@prefix acl: <http://www.w3.org/ns/auth/acl#> .\n" +
		"@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n" +
		"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
)

// groups is a GroupChecker over a fixed membership table; the member "err"
// group always fails.
type groups map[string][]string

var errGroup = errors.New("group fetch failed")

func (g groups) Member(_ context.Context, group, webID string) (bool, error) {
	if group == base+"groups#broken" {
		return true, errGroup // a lying, failing checker must still not grant
	}
	for _, m := range g[group] {
		if m == webID {
			return true, nil
		}
	}
	return false, nil
}

func mustParse(tb testing.TB, ttl string) *ACL {
	tb.Helper()
	a, err := Parse([]byte(prefix+ttl), aclIRI)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return a
}

func user(webID string) Agent { return Agent{WebID: webID, Authenticated: true} }

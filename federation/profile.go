package federation

import (
	"context"
	"errors"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/rdf"
)

// What the actor document takes from the user-writable WebID profile:
// a name, a summary and an icon, each sanitised. Nothing else of the
// profile reaches a peer (issue 14: the AS2 view is built by the server).
const (
	maxNameRunes    = 100  // Mastodon shows 30 of its own; peers truncate longer ones
	maxSummaryRunes = 500  // Mastodon's bio limit
	maxIconURL      = 2048 // bytes
	maxProfileBytes = 1 << 20
)

// Vocabularies the profile's statements are read from.
const (
	nsFOAF   = "http://xmlns.com/foaf/0.1/"
	nsVCard  = "http://www.w3.org/2006/vcard/ns#"
	nsSchema = "http://schema.org/"
	nsDCT    = "http://purl.org/dc/terms/"
	nsAS     = "https://www.w3.org/ns/activitystreams#"
)

// The predicates of each field, in order of preference.
var (
	namePreds    = []string{nsFOAF + "name", nsVCard + "fn", nsSchema + "name", nsAS + "name"}
	summaryPreds = []string{nsVCard + "note", nsSchema + "description", nsDCT + "description", nsAS + "summary"}
	iconPreds    = []string{nsFOAF + "img", nsVCard + "hasPhoto", nsFOAF + "depiction", nsSchema + "image", nsAS + "icon"}
)

// profile is what the actor shows of the WebID profile.
type profile struct {
	Name    string // plain text
	Summary string // plain text (rendered as escaped HTML in the actor)
	Icon    string // an absolute http(s) URL
}

// readProfile reads the statements about webID from the profile document
// doc in the store (the pod's own profile/card, which is also where a pod
// made for an outside WebID keeps its card: nothing is fetched). A
// missing, non-RDF, oversized or unparsable profile gives an empty
// profile, never an error: the actor must still be served.
func readProfile(ctx context.Context, store ldp.Store, loc *ldp.Locator, doc, webID string) (profile, error) {
	p, ok := loc.PathOf(doc)
	if !ok {
		return profile{}, nil
	}
	m, body, err := store.Open(ctx, p)
	if err != nil {
		if errors.Is(err, ldp.ErrNotFound) {
			return profile{}, nil
		}
		return profile{}, err
	}
	defer body.Close()
	if !m.RDF || m.Size > maxProfileBytes {
		return profile{}, nil
	}
	g, err := rdf.Parse(body, rdf.MediaTurtle, loc.IRI(m.Path), rdf.Limits{})
	if err != nil {
		return profile{}, nil
	}
	return profileOf(g, webID), nil
}

// profileOf picks and sanitises the fields of webID in g.
func profileOf(g *rdf.Graph, webID string) profile {
	me := rdf.NewIRI(webID)
	var pr profile
	for _, pred := range namePreds {
		if pr.Name = plainText(literal(g, me, pred), maxNameRunes, false); pr.Name != "" {
			break
		}
	}
	for _, pred := range summaryPreds {
		if pr.Summary = plainText(literal(g, me, pred), maxSummaryRunes, true); pr.Summary != "" {
			break
		}
	}
	for _, pred := range iconPreds {
		if pr.Icon = iconURL(g, me, pred); pr.Icon != "" {
			break
		}
	}
	return pr
}

// literal is the first literal object of (s, pred): one without a
// language tag first, then the first by the graph's order.
func literal(g *rdf.Graph, s rdf.Term, pred string) string {
	var first string
	for _, t := range g.Match(s, rdf.NewIRI(pred), rdf.Term{}) {
		if t.O.Kind != rdf.Literal {
			continue
		}
		if t.O.Lang == "" {
			return t.O.Value
		}
		if first == "" {
			first = t.O.Value
		}
	}
	return first
}

// iconURL is the first object of (s, pred) that is an acceptable icon
// URL: an IRI, or a node with a vcard:value / schema:url / as:url IRI.
func iconURL(g *rdf.Graph, s rdf.Term, pred string) string {
	for _, t := range g.Match(s, rdf.NewIRI(pred), rdf.Term{}) {
		cands := []rdf.Term{t.O}
		if t.O.Kind != rdf.Literal {
			for _, via := range []string{nsVCard + "value", nsSchema + "url", nsAS + "url"} {
				for _, u := range g.Match(t.O, rdf.NewIRI(via), rdf.Term{}) {
					cands = append(cands, u.O)
				}
			}
		}
		for _, c := range cands {
			if c.Kind == rdf.IRI && safeHTTPURL(c.Value) {
				return c.Value
			}
		}
	}
	return ""
}

// safeHTTPURL accepts an absolute http(s) URL with a host, no user
// information and no more than maxIconURL bytes: never javascript:,
// data: or anything a peer could run or that leaks credentials.
func safeHTTPURL(s string) bool {
	if len(s) > maxIconURL {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "https" || scheme == "http"
}

var tag = regexp.MustCompile(`<[^<>]*>`)

// plainText makes s fit as plain text: character references decoded,
// tags removed, control and bidirectional-override characters dropped
// (and, in a single-line name, any '<' or '>' left), white space
// collapsed (line breaks kept when multiline), at most max runes (with
// an ellipsis when cut).
func plainText(s string, max int, multiline bool) string {
	if len(s) > 16*max {
		s = s[:16*max] // bound the work; the rune cap below cuts further
	}
	s = strings.ToValidUTF8(s, "")
	s = tag.ReplaceAllString(html.UnescapeString(s), " ")
	var b strings.Builder
	space, lines := false, 0
	for _, r := range s {
		switch {
		case r == '\n' && multiline:
			if lines < 2 {
				b.WriteByte('\n')
				lines++
			}
			space = false
			continue
		case unicode.IsSpace(r):
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		case (r == '<' || r == '>') && !multiline, unicode.IsControl(r), bidiControl(r):
			// A name is shown as it is; a summary is escaped (summaryHTML).
			continue
		}
		space, lines = false, 0
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	if utf8.RuneCountInString(out) > max {
		rs := []rune(out)
		out = strings.TrimSpace(string(rs[:max-1])) + "…"
	}
	return out
}

// bidiControl reports the Unicode bidirectional embedding, override and
// isolate controls, which can make a name display as another.
func bidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F
}

// summaryHTML renders plain text as the HTML AS2 expects in summary:
// escaped, one paragraph, line breaks as <br>.
func summaryHTML(text string) string {
	if text == "" {
		return ""
	}
	return "<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>") + "</p>"
}

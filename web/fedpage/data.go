package fedpage

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/naamio/naamio/federation"
)

// pageData is what the template shows.
type pageData struct {
	Pod, Handle, Actor string
	// Owner: the session is the pod's owner (the forms are offered).
	Owner bool
	// Outbox and Resolve are what the script posts to and asks;
	// Settings is the settings endpoint.
	Outbox, Resolve, Settings, PageURL string
	// Locked: Follow requests wait for the owner (manuallyApprovesFollowers).
	Locked bool

	Followers      []person
	FollowersCount int
	Following      []person
	FollowingCount int
	Pending        []person

	CanInbox      bool
	Timeline      []entry
	TimelineTotal int
	Prev, Next    string

	CanPosts bool
	Posts    []entry
}

// person is one row of the followers, following or requests lists.
type person struct {
	IRI, Label, Since, State, FollowID string
}

// entry is one activity of the timeline, or one of the owner's posts.
type entry struct {
	ID        string // the activity
	Verb      string // what happened, in words
	Actor     string // its actor (link), ActorLabel its text
	ActorLbl  string
	Object    string // the object's IRI (link; "" when not http(s))
	ObjectLbl string
	Mine      bool   // the object is one of the owner's
	ReplyTo   string // inReplyTo (link)
	Summary   string // a content warning, as text
	Text      []Paragraph
	When      string
	Datetime  string
	Audience  string // the owner's posts: Public, Unlisted, Followers, Direct
	Undone    bool
	Deleted   bool
	Post      bool // a post one can reply to, like and boost
}

func (h *Handler) data(r *http.Request, pod string, owner, canInbox, canPosts bool, n int) (*pageData, error) {
	ctx := r.Context()
	p := h.fed.Paths()
	rel := h.fed.Relations()
	host := p.Host()
	d := &pageData{Pod: pod, Handle: "@" + pod + "@" + host, Actor: p.Actor(pod), Owner: owner,
		Outbox: p.Outbox(pod), Resolve: h.pages.Base() + APIPrefix + "resolve?pod=" + url.QueryEscape(pod),
		Settings: h.pages.Base() + APIPrefix + "settings?pod=" + url.QueryEscape(pod),
		PageURL:  h.pages.Base() + PagePath + "?pod=" + url.QueryEscape(pod), CanInbox: canInbox, CanPosts: canPosts}
	set, err := h.fed.PodSettings(ctx, pod)
	if err != nil {
		return nil, err
	}
	d.Locked = set.Locked
	if d.FollowersCount, err = rel.CountFollowers(ctx, pod); err != nil {
		return nil, err
	}
	fs, _, err := rel.Followers(ctx, pod, "", listSize)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		d.Followers = append(d.Followers, person{IRI: safeLink(f.Actor), Label: label(f.Actor), Since: since(f.Since)})
	}
	if d.FollowingCount, err = rel.CountFollowing(ctx, pod); err != nil {
		return nil, err
	}
	gs, _, err := rel.ListFollowing(ctx, pod, "", listSize)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		d.Following = append(d.Following, person{IRI: safeLink(g.Actor), Label: label(g.Actor), Since: since(g.Since),
			State: g.State, FollowID: g.FollowID})
	}
	if owner {
		ps, _, err := rel.ListPending(ctx, pod, "", listSize)
		if err != nil {
			return nil, err
		}
		for _, pf := range ps {
			d.Pending = append(d.Pending, person{IRI: safeLink(pf.Actor), Label: label(pf.Actor), Since: since(pf.Since), FollowID: pf.FollowID})
		}
	}
	mine := func(iri string) bool {
		rt, ok := p.ParseIRI(iri)
		return ok && rt.Pod == pod
	}
	if canInbox {
		items, total, err := h.fed.InboxItems(ctx, pod, n, timelinePage)
		if err != nil {
			return nil, err
		}
		d.TimelineTotal = total
		waiting := map[string]bool{}
		for _, pf := range d.Pending {
			waiting[pf.IRI] = true
		}
		for _, it := range items {
			e := timelineEntry(it, mine, d.Actor)
			if e.Verb == "followed you" && waiting[e.Actor] {
				e.Verb = "asks to follow you"
			}
			d.Timeline = append(d.Timeline, e)
		}
		if n > 1 {
			d.Prev = d.PageURL + "&page=" + strconv.Itoa(n-1)
		}
		if n*timelinePage < total {
			d.Next = d.PageURL + "&page=" + strconv.Itoa(n+1)
		}
	}
	if canPosts {
		posts, err := h.fed.OwnerPosts(ctx, pod, listSize)
		if err != nil {
			return nil, err
		}
		for _, a := range posts {
			e := timelineEntry(a, mine, d.Actor)
			e.Audience = audience(a, p.Followers(pod))
			d.Posts = append(d.Posts, e)
		}
	}
	return d, nil
}

// str is a JSON string member ("" otherwise).
func str(v any) string { s, _ := v.(string); return s }

// idOf is the id of a JSON-LD node given inline or by IRI.
func idOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		return str(x["id"])
	}
	return ""
}

func list(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			if s := idOf(e); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// timelineEntry describes one stored activity for people.
func timelineEntry(a map[string]any, mine func(string) bool, self string) entry {
	typ := str(a["type"])
	actor := idOf(a["actor"])
	obj, _ := a["object"].(map[string]any)
	objID := idOf(a["object"])
	e := entry{ID: str(a["id"]), Actor: safeLink(actor), ActorLbl: label(actor), Object: safeLink(objID), ObjectLbl: label(objID),
		Mine: mine(objID), Undone: a["https://naamio.dev/ns#undoneBy"] != nil}
	when := str(a["published"])
	if obj != nil && when == "" {
		when = str(obj["published"])
	}
	if t, err := time.Parse(time.RFC3339, when); err == nil {
		e.When, e.Datetime = since(t), t.UTC().Format(time.RFC3339)
	}
	if obj != nil {
		e.Summary = federation.PlainName(str(obj["summary"]))
		e.Text = Text(str(obj["content"]))
		if len(e.Text) == 0 {
			e.Text = Text(str(obj["name"]))
		}
		e.ReplyTo = safeLink(idOf(obj["inReplyTo"]))
		e.Deleted = str(obj["type"]) == "Tombstone"
	}
	switch typ {
	case "Create":
		e.Verb, e.Post = "posted", !e.Deleted
		if e.ReplyTo != "" {
			e.Verb = "replied"
		}
		if e.Deleted {
			e.Verb = "deleted a post"
		}
	case "Update":
		e.Verb, e.Post = "edited a post", !e.Deleted
	case "Announce", "Like":
		e.Verb, e.ObjectLbl = "boosted", "a post"
		if typ == "Like" {
			e.Verb = "liked"
		}
		if e.Mine {
			e.ObjectLbl = "your post"
		}
	case "Follow":
		e.Verb = "asked to follow"
		if objID == self {
			e.Verb, e.Object, e.ObjectLbl = "followed you", "", ""
		}
	case "Undo":
		e.Verb = "took back " + article(str(obj["type"]))
		e.Text = nil
	case "Accept":
		e.Verb, e.Text, e.Object, e.ObjectLbl = "accepted your follow request", nil, "", ""
	case "Reject":
		e.Verb, e.Text, e.Object, e.ObjectLbl = "rejected your follow request", nil, "", ""
	case "Delete":
		e.Verb, e.Text = "deleted", nil
		if objID == actor {
			e.Verb, e.Object, e.ObjectLbl = "deleted their account", "", ""
		}
	case "Block":
		e.Verb, e.Text, e.Object, e.ObjectLbl = "blocked you", nil, "", ""
	default:
		e.Verb = "sent " + article(typ)
	}
	if e.Post {
		// Reply, like and boost name the post itself.
		e.Object, e.ObjectLbl = safeLink(objID), ""
	}
	return e
}

// article is "a Like", "an Announce"; "something" for no type.
func article(t string) string {
	if t == "" || len(t) > 40 {
		return "something"
	}
	t = federation.PlainName(t)
	switch t[0] {
	case 'A', 'E', 'I', 'O', 'U':
		return "an " + t
	}
	return "a " + t
}

// audience names who a post of the owner is for, as Mastodon does.
func audience(a map[string]any, followers string) string {
	to, cc := list(a["to"]), list(a["cc"])
	switch {
	case slices.Contains(to, federation.PublicIRI):
		return "Public"
	case slices.Contains(cc, federation.PublicIRI):
		return "Unlisted"
	case slices.Contains(to, followers) || slices.Contains(cc, followers):
		return "Followers"
	}
	return "Direct"
}

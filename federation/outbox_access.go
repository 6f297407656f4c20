package federation

import (
	"net/http"
	"slices"
)

// Who may dereference an activity or object of the outbox that is not
// public (issue 14; SECURITY row 39's other side: what we serve):
//
//   - the pod's owner, with the Solid-OIDC credentials the server's auth
//     middleware found (the stored resource in <pod>/outbox/ is theirs
//     through LDP as well);
//   - a signed GET (authorized fetch: httpsig.Verifier, draft-cavage or
//     RFC 9421, Date within ±1 h, Host this server) whose key's owner is
//     an addressee of the activity (to, cc, bto, bcc, audience), or a
//     follower of the pod when the activity is addressed to the pod's
//     followers collection.
//
// Everyone else gets 404, as for an id that does not exist, so nothing
// is learnt from probing. This is Mastodon's rule for a private status
// (StatusPolicy: the author, a mentioned account, or an account following
// the author): the signer must itself be a recipient. A peer's instance
// actor is not one (it follows nobody), so a fetch signed by an instance
// actor sees public posts only, as on Mastodon; Mastodon signs the fetch
// of a status it was not delivered with the instance actor or with the
// user on whose behalf it fetches, and only the latter sees a
// followers-only post.
func (s *Service) mayReadPrivate(r *http.Request, pod string, a map[string]any) bool {
	return s.readerOf(r, pod).may(s.cfg.Paths.Followers(pod), a)
}

// reader is who asks for an outbox's activities, found once per request
// (the outbox collection applies the rule above to each activity).
type reader struct {
	owner    bool   // the pod's owner (Solid-OIDC)
	signer   string // the owner of a verified GET signature's key
	follower bool   // the signer follows the pod
}

// readerOf finds who r comes from; the zero reader is anonymous.
func (s *Service) readerOf(r *http.Request, pod string) reader {
	if s.cfg.Agent != nil {
		if webID, err := s.cfg.Agent(r); err == nil && webID != "" {
			if owner, ok := s.cfg.Pods.OwnerWebID(pod); ok && webID == owner {
				return reader{owner: true}
			}
		}
	}
	v := reader{signer: s.signedGETBy(r)}
	if v.signer != "" {
		_, ok, err := s.cfg.Relations.Follower(r.Context(), pod, v.signer)
		v.follower = err == nil && ok
	}
	return v
}

// anonymous reports a reader who sees public activities only.
func (v reader) anonymous() bool { return !v.owner && v.signer == "" }

// may reports whether v may read the activity a of the pod whose
// followers collection is followers.
func (v reader) may(followers string, a map[string]any) bool {
	if v.owner || isPublic(a) {
		return true
	}
	if v.signer == "" {
		return false
	}
	var to []string
	for _, k := range addressing {
		to = append(to, asStrings(a[k])...)
	}
	return slices.Contains(to, v.signer) || v.follower && slices.Contains(to, followers)
}

// signedGETBy is the owner of the key a GET's valid signature names, or
// "" when it is unsigned or its signature does not verify.
func (s *Service) signedGETBy(r *http.Request) string {
	if s.cfg.Verifier == nil || (r.Header.Get("Signature") == "" && r.Header.Get("Signature-Input") == "") {
		return ""
	}
	v, err := s.cfg.Verifier.Verify(r, nil)
	if err != nil {
		s.log.DebugContext(r.Context(), "federation: signed GET refused", "path", r.URL.Path, "err", err)
		return ""
	}
	return v.Owner
}

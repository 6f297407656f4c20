package kv

// Namespace names one KV of server-internal records. Every namespace is
// declared here and nowhere else; an implementation refuses any other.
type Namespace string

// The namespaces, one line each on what lives there.
const (
	Accounts      Namespace = "a" // accounts and their email index, sessions, reset links, invites, client credentials, approvals, server CSRF secret, first-account marker (idp/account)
	Pods          Namespace = "p" // the pod registry: each pod's owner and WebID, tombstones of deleted pod names (idp.Pods)
	Tokens        Namespace = "t" // the OpenID Provider: signing keys, clients, interactions, codes, refresh tokens, grants, revocations (idp/op)
	Modules       Namespace = "x" // installed Wasm module records (modules, to come)
	DeliveryQueue Namespace = "q" // outgoing deliveries: webhook notifications under wq/, wf/ (notify), ActivityPub deliveries under aa/, at/, aq/, ak/, af/ (federation/deliver)
	Channels      Namespace = "n" // Solid Notifications channels (notify, to come)
	FeedCursors   Namespace = "f" // change-log feed: each durable consumer's cursor, the Seq it has handled, under its name (event.Feed, server/feed.go)
	Federation    Namespace = "s" // ActivityPub ("social"): each pod's RSA signing key under key/<pod>, its actor settings under actor/<pod>, its followers, following, blocks and waiting Follows under fr/, fg/, bk/, fp/<pod>/<actor> (federation.Relations)
	Quotas        Namespace = "o" // per-pod storage quotas an administrator set (naamio pod quota), one decimal byte count under each pod name (server/quota.go)
)

// Namespaces lists every namespace, in the order above.
var Namespaces = []Namespace{Accounts, Pods, Tokens, Modules, DeliveryQueue, Channels, FeedCursors, Federation, Quotas}

// Valid reports whether ns is one of Namespaces.
func (ns Namespace) Valid() bool {
	for _, n := range Namespaces {
		if n == ns {
			return true
		}
	}
	return false
}

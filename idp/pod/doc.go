// Package pod provisions Solid pods on an ldp.Store: Create writes a new
// pod's first resources, Delete removes every resource of a pod.
//
// # Layout
//
// A Layout says where a pod lives. PathLayout, the default, puts pod
// "alice" at the container /alice/ of the server's one storage (IRI
// <base>alice/). SubdomainLayout keeps the same store path but gives the
// pod its own origin (IRI https://alice.example/), which isolates pods'
// scripts and cookies from each other. The layout only changes IRIs: the
// paths below are store paths, and Delete needs no layout.
//
// # What Create writes
//
// Every RDF resource is stored as canonical Turtle written by rdf.Write,
// with absolute IRIs, through Store.Put with origin "naamio:pod". For pod
// "alice" owned by WebID W (by default <base>alice/profile/card#me):
//
//	/alice/                               solid:owner W. Claimed first, atomically: the
//	                                      Put fails if anything is there (ErrExists).
//	                                      Its rdf:type pim:Storage is not stored: the
//	                                      type is server-managed in a container body, so
//	                                      ldp generates it (Link rel="type" and triples)
//	                                      for the containers ldp.Config.StorageRoot names.
//	/alice/.acl                           W: Read, Write, Control; accessTo and default
//	                                      /alice/. Everything below inherits it unless
//	                                      named here.
//	/alice/profile/card                   the WebID profile (below)
//	/alice/profile/card.acl               W: Read, Write, Control; public (foaf:Agent):
//	                                      Read; accessTo the card only.
//	/alice/inbox/                         an empty container (ldp:inbox of W)
//	/alice/inbox/.acl                     W: Read, Write, Control, accessTo and default;
//	                                      acl:AuthenticatedAgent: Append, accessTo the
//	                                      inbox only.
//	/alice/settings/prefs.ttl             pim:ConfigurationFile naming both type
//	                                      indexes; owner only (inherited).
//	/alice/settings/publicTypeIndex.ttl   solid:TypeIndex, solid:ListedDocument
//	/alice/settings/publicTypeIndex.ttl.acl  W: Read, Write, Control; public: Read.
//	/alice/settings/privateTypeIndex.ttl  solid:TypeIndex, solid:UnlistedDocument;
//	                                      owner only (inherited).
//
// The profile card is a foaf:PersonalProfileDocument whose foaf:maker and
// foaf:primaryTopic are W; W is a foaf:Person and schema:Person with
// solid:oidcIssuer, pim:storage </alice/>, ldp:inbox </alice/inbox/>,
// pim:preferencesFile, solid:publicTypeIndex, solid:privateTypeIndex and,
// when given, foaf:name.
//
// # Access choices
//
// The inbox accepts notifications from authenticated agents only (Append
// with acl:AuthenticatedAgent), not from the public: an anonymous sender
// could fill a pod without leaving a trace, while an authenticated one is
// identified by its WebID (Linked Data Notifications leaves the choice to
// the receiver). Append lets a sender POST a new member but not read,
// change or delete anything in the inbox; the grant has no acl:default,
// so members stay the owner's. The same container is the actor's
// ActivityPub inbox: signed deliveries are handled by federation, which
// stores what it accepts as server-written members the owner reads.
//
// Public and authenticated grants use acl:accessTo only, never acl:default,
// so nothing created later becomes public by accident. The server's root
// ACL (/.acl) is the site owner's business: a pod never touches it. Until
// /alice/.acl is written (right after the claim), /alice/ inherits the
// root ACL's defaults, so nobody gets more than the site owner granted.
//
// # Deletion
//
// A pod root and its ACL cannot be deleted over HTTP (405, like "/"):
// removing a pod is an account operation, done here by Delete.
package pod

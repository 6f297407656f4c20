package pod

import (
	"bytes"
	"strings"

	"github.com/naamio/naamio/rdf"
)

// Vocabularies of the documents a pod starts with.
const (
	nsACL    = "http://www.w3.org/ns/auth/acl#"
	nsFOAF   = "http://xmlns.com/foaf/0.1/"
	nsLDP    = "http://www.w3.org/ns/ldp#"
	nsPIM    = "http://www.w3.org/ns/pim/space#"
	nsSchema = "http://schema.org/"
	nsDCT    = "http://purl.org/dc/terms/"
)

// Paths of a pod's first resources, relative to its root.
const (
	relACL          = ".acl"
	relCard         = "profile/card"
	relInbox        = "inbox/"
	relPrefs        = "settings/prefs.ttl"
	relPublicIndex  = "settings/publicTypeIndex.ttl"
	relPrivateIndex = "settings/privateTypeIndex.ttl"
	aclSuffix       = ".acl"
)

func iri(s string) rdf.Term { return rdf.NewIRI(s) }

var (
	rdfType    = iri(rdf.RDFNS + "type")
	aclAgent   = iri(nsACL + "agent")
	aclClass   = iri(nsACL + "agentClass")
	aclRead    = iri(nsACL + "Read")
	aclWrite   = iri(nsACL + "Write")
	aclAppend  = iri(nsACL + "Append")
	aclControl = iri(nsACL + "Control")
	foafAgent  = iri(nsFOAF + "Agent")
	authAgent  = iri(nsACL + "AuthenticatedAgent")
)

// document is one resource Create writes: its path relative to the pod
// root and its graph (nil: an empty container).
type document struct {
	rel   string
	graph *rdf.Graph
}

// aux reports whether the document is an auxiliary resource (an ACL).
func (d document) aux() bool { return strings.HasSuffix(d.rel, aclSuffix) }

// turtle is the document's body in the canonical form every RDF source is
// stored in.
func (d document) turtle() ([]byte, error) {
	if d.graph == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, d.graph, rdf.MediaTurtle); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// podInfo is what the documents are built from.
type podInfo struct {
	root, webID, issuer, name string // root: IRI of the root container
}

// documents lists what Create writes, in order: the root container first
// (the claim), then its ACL, then every other resource before its own ACL.
func documents(p podInfo) []document {
	return []document{
		{"", rootGraph(p)},
		{relACL, aclGraph(p.root+relACL, p.root, ownerGrant(p.webID, true))},
		{relCard, cardGraph(p)},
		{relCard + aclSuffix, aclGraph(p.root+relCard+aclSuffix, p.root+relCard,
			ownerGrant(p.webID, false), grant{"public", aclClass, foafAgent, []rdf.Term{aclRead}, false})},
		{relInbox, nil},
		{relInbox + relACL, aclGraph(p.root+relInbox+relACL, p.root+relInbox,
			ownerGrant(p.webID, true), grant{"authenticated", aclClass, authAgent, []rdf.Term{aclAppend}, false})},
		{relPrefs, prefsGraph(p)},
		{relPublicIndex, typeIndexGraph(p.root+relPublicIndex, "ListedDocument")},
		{relPublicIndex + aclSuffix, aclGraph(p.root+relPublicIndex+aclSuffix, p.root+relPublicIndex,
			ownerGrant(p.webID, false), grant{"public", aclClass, foafAgent, []rdf.Term{aclRead}, false})},
		{relPrivateIndex, typeIndexGraph(p.root+relPrivateIndex, "UnlistedDocument")},
	}
}

// rootGraph is the pod root's own body: its owner. rdf:type pim:Storage is
// server-managed in a container body, so ldp states it (Config.StorageRoot).
func rootGraph(p podInfo) *rdf.Graph {
	g := rdf.NewGraph()
	g.Add(rdf.Triple{S: iri(p.root), P: iri(rdf.SolidNS + "owner"), O: iri(p.webID)})
	return g
}

// cardGraph is the WebID profile document and the WebID's statements.
func cardGraph(p podInfo) *rdf.Graph {
	g := rdf.NewGraph()
	card, me := iri(p.root+relCard), iri(p.webID)
	add := func(s rdf.Term, pred string, o rdf.Term) { g.Add(rdf.Triple{S: s, P: iri(pred), O: o}) }
	add(card, rdf.RDFNS+"type", iri(nsFOAF+"PersonalProfileDocument"))
	add(card, nsFOAF+"maker", me)
	add(card, nsFOAF+"primaryTopic", me)
	add(me, rdf.RDFNS+"type", iri(nsFOAF+"Person"))
	add(me, rdf.RDFNS+"type", iri(nsSchema+"Person"))
	add(me, rdf.SolidNS+"oidcIssuer", iri(p.issuer))
	add(me, nsPIM+"storage", iri(p.root))
	add(me, nsLDP+"inbox", iri(p.root+relInbox))
	add(me, nsPIM+"preferencesFile", iri(p.root+relPrefs))
	add(me, rdf.SolidNS+"publicTypeIndex", iri(p.root+relPublicIndex))
	add(me, rdf.SolidNS+"privateTypeIndex", iri(p.root+relPrivateIndex))
	if p.name != "" {
		add(me, nsFOAF+"name", rdf.NewLiteral(p.name, ""))
	}
	return g
}

// prefsGraph is the preferences file: where apps find the type indexes
// (the private one is listed only here and in the profile).
func prefsGraph(p podInfo) *rdf.Graph {
	g := rdf.NewGraph()
	prefs, me := iri(p.root+relPrefs), iri(p.webID)
	g.Add(rdf.Triple{S: prefs, P: rdfType, O: iri(nsPIM + "ConfigurationFile")})
	g.Add(rdf.Triple{S: prefs, P: iri(nsDCT + "title"), O: rdf.NewLiteral("Preferences file", "")})
	g.Add(rdf.Triple{S: me, P: iri(rdf.SolidNS + "publicTypeIndex"), O: iri(p.root + relPublicIndex)})
	g.Add(rdf.Triple{S: me, P: iri(rdf.SolidNS + "privateTypeIndex"), O: iri(p.root + relPrivateIndex)})
	return g
}

// typeIndexGraph is an empty type index; listed says whether it is the
// public (ListedDocument) or private (UnlistedDocument) one.
func typeIndexGraph(doc, listed string) *rdf.Graph {
	g := rdf.NewGraph()
	g.Add(rdf.Triple{S: iri(doc), P: rdfType, O: iri(rdf.SolidNS + "TypeIndex")})
	g.Add(rdf.Triple{S: iri(doc), P: rdfType, O: iri(rdf.SolidNS + listed)})
	return g
}

// grant is one acl:Authorization: who (acl:agent or acl:agentClass and
// its object) has which modes; inherit adds acl:default on the target.
type grant struct {
	id         string
	whoP, whoO rdf.Term
	modes      []rdf.Term
	inherit    bool
}

func ownerGrant(webID string, inherit bool) grant {
	return grant{"owner", aclAgent, iri(webID), []rdf.Term{aclRead, aclWrite, aclControl}, inherit}
}

// aclGraph is the ACL resource aclIRI with grants on target.
func aclGraph(aclIRI, target string, grants ...grant) *rdf.Graph {
	g := rdf.NewGraph()
	for _, gr := range grants {
		a := iri(aclIRI + "#" + gr.id)
		g.Add(rdf.Triple{S: a, P: rdfType, O: iri(nsACL + "Authorization")})
		g.Add(rdf.Triple{S: a, P: gr.whoP, O: gr.whoO})
		g.Add(rdf.Triple{S: a, P: iri(nsACL + "accessTo"), O: iri(target)})
		if gr.inherit {
			g.Add(rdf.Triple{S: a, P: iri(nsACL + "default"), O: iri(target)})
		}
		for _, m := range gr.modes {
			g.Add(rdf.Triple{S: a, P: iri(nsACL + "mode"), O: m})
		}
	}
	return g
}

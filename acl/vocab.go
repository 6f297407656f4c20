package acl

import "github.com/naamio/naamio/rdf"

// Namespaces and terms of the ACL ontology (http://www.w3.org/ns/auth/acl) and
// the few foreign terms WAC uses.
const (
	NS       = "http://www.w3.org/ns/auth/acl#"
	foafNS   = "http://xmlns.com/foaf/0.1/"
	rdfsNS   = "http://www.w3.org/2000/01/rdf-schema#"
	iriAuthz = NS + "Authorization"

	iriAccessTo   = NS + "accessTo"
	iriDefault    = NS + "default"
	iriMode       = NS + "mode"
	iriAgent      = NS + "agent"
	iriAgentClass = NS + "agentClass"
	iriAgentGroup = NS + "agentGroup"
	iriOrigin     = NS + "origin"

	iriRead    = NS + "Read"
	iriWrite   = NS + "Write"
	iriAppend  = NS + "Append"
	iriControl = NS + "Control"

	iriAuthenticatedAgent = NS + "AuthenticatedAgent"
	iriFoafAgent          = foafNS + "Agent"

	iriLabel   = rdfsNS + "label"
	iriComment = rdfsNS + "comment"
)

var (
	termType  = rdf.NewIRI(rdf.RDFType)
	termAuthz = rdf.NewIRI(iriAuthz)
)

// modeIRIs maps the four WAC access modes (WAC §"Access Modes") to their bits.
var modeIRIs = map[string]Mode{
	iriRead:    Read,
	iriWrite:   Write,
	iriAppend:  Append,
	iriControl: Control,
}

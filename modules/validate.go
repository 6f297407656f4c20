package modules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/rdf"
)

// Event is what a module's reactor or validator is given (the shape of
// a Solid notification): the change, the resource and its container,
// and for a validator the proposed document.
type Event struct {
	Type        string `json:"type"`             // Create, Update, Delete
	Object      string `json:"object"`           // the resource's IRI
	Target      string `json:"target,omitempty"` // its container's IRI
	State       string `json:"state,omitempty"`  // its ETag (none for a Delete)
	ContentType string `json:"contentType,omitempty"`
	Published   string `json:"published"`
	Actor       string `json:"actor,omitempty"` // who made the change
	// Body is the proposed document as N-Triples (validators only).
	Body string `json:"body,omitempty"`
}

// verdict is a validator's output.
type verdict struct {
	Allow  *bool  `json:"allow"`
	Reason string `json:"reason"`
}

// within reports whether p is a resource inside the container with
// store path c (not c itself), directly unless recursive.
func within(p, c string, recursive bool) bool {
	if p == c || !strings.HasPrefix(p, c) {
		return false
	}
	return recursive || ldp.Parent(p) == c
}

// typeMatches: an empty list is any type.
func typeMatches(list []string, contentType string) bool {
	if len(list) == 0 {
		return true
	}
	for _, t := range list {
		if strings.EqualFold(t, contentType) {
			return true
		}
	}
	return false
}

// validation is one validator to ask about a write.
type validation struct {
	mod    *module
	export string
}

// validators returns the validators covering a write of an RDF document
// at p of contentType by writer (validators cover every document below
// their container, at any depth: a guard that a subfolder escapes would
// guard nothing). A module's own writes are not put to its validators.
func (s *Service) validators(p, contentType, writer string) []validation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []validation
	for _, m := range s.modules {
		if m.prog == nil || m.agent == writer {
			continue
		}
		for _, v := range m.validatorPaths {
			if within(p, v.container, true) && typeMatches(v.ContentTypes, contentType) {
				out = append(out, validation{m, v.Export})
			}
		}
	}
	return out
}

// validate asks every validator covering the proposed write (and whose
// module may Read the resource): a refusal is 422 with the module's
// reason; a validator that fails or times out refuses the write with 503.
func (s *Service) validate(ctx context.Context, w ldp.Proposal) error {
	if w.Graph == nil || ldp.IsContainerPath(w.Path) || (w.Kind != event.Create && w.Kind != event.Update) {
		return nil
	}
	if kind, _ := ldp.Auxiliary(w.Path); kind != ldp.NotAux {
		return nil
	}
	vs := s.validators(w.Path, w.ContentType, w.Agent.WebID)
	if len(vs) == 0 {
		return nil
	}
	var nt bytes.Buffer
	if err := rdf.Write(&nt, w.Graph, rdf.MediaNTriples); err != nil {
		return err
	}
	ev := Event{Type: string(w.Kind), Object: w.IRI, Target: s.ldp.IRI(ldp.Parent(w.Path)), State: w.ETag,
		ContentType: w.ContentType, Published: time.Now().UTC().Format(time.RFC3339Nano), Actor: w.Agent.WebID, Body: nt.String()}
	input, err := marshal(ev)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if !s.ldp.ModuleMayRead(ctx, v.mod.agent, v.mod.owner, w.Path) {
			continue
		}
		out, err := v.mod.call(ctx, v.export, input)
		if err != nil {
			return fmt.Errorf("validator %s of module %s: %w", v.export, v.mod.manifest.Name, err)
		}
		var vd verdict
		if err := json.Unmarshal(out, &vd); err != nil || vd.Allow == nil {
			v.mod.status.logLine("error", v.export+`: the output is not {"allow": true|false, "reason": "…"}`)
			return fmt.Errorf("validator %s of module %s gave no verdict", v.export, v.mod.manifest.Name)
		}
		if !*vd.Allow {
			reason := vd.Reason
			if reason == "" {
				reason = "no reason given"
			}
			return fmt.Errorf("%w: module %s: %s", ldp.ErrRefused, v.mod.manifest.Name, reason)
		}
	}
	return nil
}

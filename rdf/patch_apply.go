package rdf

import (
	"fmt"
	"strconv"
)

// ApplyLimits bounds the work of one Apply. A zero field means the matching
// DefaultApplyLimits value.
type ApplyLimits struct {
	MaxSolutions int // solutions of one WHERE kept at once
	MaxSteps     int // candidate triples examined, plus triples instantiated, over the whole Apply
}

// DefaultApplyLimits are used for every zero field of an ApplyLimits.
var DefaultApplyLimits = ApplyLimits{MaxSolutions: 10_000, MaxSteps: 1_000_000}

func (l ApplyLimits) withDefaults() ApplyLimits {
	if l.MaxSolutions <= 0 {
		l.MaxSolutions = DefaultApplyLimits.MaxSolutions
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultApplyLimits.MaxSteps
	}
	return l
}

// Apply applies the patch to g. It is atomic: g changes only when Apply
// returns nil. Errors wrap ErrPatchConflict or ErrTooComplex.
//
// An N3 Patch follows Solid Protocol server-patch-n3-semantics; a SPARQL
// Update runs its operations in order (SPARQL 1.1 Update §3.1), and one
// choice goes beyond that specification: DELETE DATA of a triple that is
// not in the graph is ErrPatchConflict (409), as the Community Solid
// Server answers, rather than a silent no-op, so a client learns that its
// view of the resource is stale.
func (p *Patch) Apply(g *Graph, lim ApplyLimits) error {
	_, err := p.ApplyChanged(g, lim)
	return err
}

// ApplyChanged is Apply that also reports whether g changed. An N3 Patch
// that deletes only triples it inserts again, or inserts only triples g
// holds, leaves g as it was (changed false), so a caller can skip
// writing it; a SPARQL Update always reports true.
func (p *Patch) ApplyChanged(g *Graph, lim ApplyLimits) (bool, error) {
	b := &budget{lim: lim.withDefaults()}
	if p.sparql {
		return true, p.applySPARQL(g, b)
	}
	return p.applyN3(g, b)
}

// applyN3 implements server-patch-n3-semantics: find the mappings of
// ?conditions; exactly one is required (server-patch-n3-semantics-no-mapping:
// 409 otherwise); every instantiated deletion must be in the graph
// (server-patch-n3-semantics-deletions-non-empty-all-triples: 409); then the
// deletions are removed and the insertions added. Every check runs before
// the first change, so a failure leaves g as it was.
func (p *Patch) applyN3(g *Graph, b *budget) (bool, error) {
	q := compileQuery(p.Where, b)
	if err := b.spend(0); err != nil {
		return false, err
	}
	row, err := newEvaluator(g, b).oneMapping(q)
	if err != nil {
		return false, err
	}
	dels, ok := q.instantiate(p.Deletes, row, nil)
	if !ok {
		return false, fmt.Errorf("%w: a deletion is not a valid triple under the where mapping", ErrPatchConflict)
	}
	for _, t := range dels {
		if !g.Has(t) {
			return false, fmt.Errorf("%w: triple to delete is absent: %s %s %s (Solid Protocol server-patch-n3-semantics-deletions-non-empty-all-triples)",
				ErrPatchConflict, t.S, t.P, t.O)
		}
	}
	fresh := &freshBlanks{g: g}
	ins, ok := q.instantiate(p.Inserts, row, fresh.scope())
	if !ok {
		return false, fmt.Errorf("%w: an insertion is not a valid triple under the where mapping", ErrPatchConflict)
	}
	if err := b.spend(len(dels) + len(ins)); err != nil {
		return false, err
	}
	// g changes unless every deletion is inserted again and every
	// insertion was already there (dels are all in g, checked above).
	inserted := NewGraph()
	changed := false
	for _, t := range ins {
		inserted.Add(t)
		changed = changed || !g.Has(t)
	}
	for _, t := range dels {
		changed = changed || !inserted.Has(t)
		g.Remove(t)
	}
	for _, t := range ins {
		g.Add(t)
	}
	return changed, nil
}

// applySPARQL runs the operations in order on g, undoing every change when
// one fails (SPARQL 1.1 Update §3: a request is all-or-nothing).
func (p *Patch) applySPARQL(g *Graph, b *budget) error {
	j := &journal{g: g}
	fresh := &freshBlanks{g: g}
	for _, op := range p.ops {
		if err := op.apply(j, fresh, b); err != nil {
			j.rollback()
			return err
		}
	}
	return nil
}

// apply runs one SPARQL Update operation.
func (op *operation) apply(j *journal, fresh *freshBlanks, b *budget) error {
	switch op.kind {
	case opInsertData:
		return insertData(j, op.inserts, fresh, b)
	case opDeleteData:
		return deleteData(j, op.deletes, b)
	}
	return op.modify(j, fresh, b)
}

// insertData adds ground triples; each blank node becomes a fresh one
// (SPARQL 1.1 Update §3.1.1).
func insertData(j *journal, ins []Pattern, fresh *freshBlanks, b *budget) error {
	if err := b.spend(len(ins)); err != nil {
		return err
	}
	ts, _ := (&query{}).instantiate(ins, nil, fresh.scope())
	for _, t := range ts {
		j.add(t)
	}
	return nil
}

// deleteData removes ground triples (SPARQL 1.1 Update §3.1.2); an absent
// one is ErrPatchConflict (see Apply).
func deleteData(j *journal, dels []Pattern, b *budget) error {
	if err := b.spend(len(dels)); err != nil {
		return err
	}
	ts, _ := (&query{}).instantiate(dels, nil, nil)
	for _, t := range ts {
		if !j.g.Has(t) {
			return fmt.Errorf("%w: DELETE DATA of an absent triple: %s %s %s", ErrPatchConflict, t.S, t.P, t.O)
		}
	}
	for _, t := range ts {
		j.remove(t)
	}
	return nil
}

// modify runs DELETE/INSERT … WHERE (SPARQL 1.1 Update §3.1.3): the
// templates are instantiated for every solution of the WHERE (none: no
// change), skipping triples with an unbound variable or a literal or blank
// node where RDF does not allow one; then all deletions are removed and
// all insertions added. Blank nodes in the INSERT template are fresh for
// each solution.
func (op *operation) modify(j *journal, fresh *freshBlanks, b *budget) error {
	q := compileQuery(op.where, b)
	if err := b.spend(0); err != nil {
		return err
	}
	rows, err := newEvaluator(j.g, b).solutions(q)
	if err != nil {
		return err
	}
	var dels, ins []Triple
	for _, row := range rows {
		d, _ := q.instantiate(op.deletes, row, nil)
		i, _ := q.instantiate(op.inserts, row, fresh.scope())
		if err := b.spend(len(d) + len(i)); err != nil {
			return err
		}
		dels, ins = append(dels, d...), append(ins, i...)
	}
	for _, t := range dels {
		j.remove(t)
	}
	for _, t := range ins {
		j.add(t)
	}
	return nil
}

// budget counts evaluation steps against ApplyLimits.MaxSteps.
type budget struct {
	lim   ApplyLimits
	steps int
}

// spend counts n steps and fails once the total passes MaxSteps.
func (b *budget) spend(n int) error {
	b.steps += n
	if b.steps > b.lim.MaxSteps {
		return fmt.Errorf("%w: more than %d evaluation steps", ErrTooComplex, b.lim.MaxSteps)
	}
	return nil
}

// freshBlanks makes blank nodes whose labels are not used in the graph.
// A label is free when the graph's term table does not hold it (the table
// keeps the terms of removed triples too, which only skips more labels).
type freshBlanks struct {
	g    *Graph
	used map[string]bool // labels handed out
	n    int
}

// next returns a blank node not yet in the graph nor handed out before.
func (f *freshBlanks) next() Term {
	if f.used == nil {
		f.used = map[string]bool{}
	}
	for {
		f.n++
		l := "n" + strconv.Itoa(f.n)
		if _, inGraph := f.g.terms.lookup(NewBlank(l)); !inGraph && !f.used[l] {
			f.used[l] = true
			return NewBlank(l)
		}
	}
}

// scope returns a mapping from a template's blank nodes to fresh ones,
// made on first use; one scope is one solution.
func (f *freshBlanks) scope() func(Term) Term {
	m := map[Term]Term{}
	return func(b Term) Term {
		t, ok := m[b]
		if !ok {
			t = f.next()
			m[b] = t
		}
		return t
	}
}

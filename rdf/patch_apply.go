package rdf

import (
	"cmp"
	"fmt"
	"slices"
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
	b := &budget{lim: lim.withDefaults()}
	if p.sparql {
		return p.applySPARQL(g, b)
	}
	return p.applyN3(g, b)
}

// applyN3 implements server-patch-n3-semantics: find the mappings of
// ?conditions; exactly one is required (server-patch-n3-semantics-no-mapping:
// 409 otherwise); every instantiated deletion must be in the graph
// (server-patch-n3-semantics-deletions-non-empty-all-triples: 409); then the
// deletions are removed and the insertions added. Every check runs before
// the first change, so a failure leaves g as it was.
func (p *Patch) applyN3(g *Graph, b *budget) error {
	q := compileQuery(p.Where, b)
	if err := b.spend(0); err != nil {
		return err
	}
	row, err := newEvaluator(g, b).oneMapping(q)
	if err != nil {
		return err
	}
	dels, ok := q.instantiate(p.Deletes, row, nil)
	if !ok {
		return fmt.Errorf("%w: a deletion is not a valid triple under the where mapping", ErrPatchConflict)
	}
	for _, t := range dels {
		if !g.Has(t) {
			return fmt.Errorf("%w: triple to delete is absent: %s %s %s (Solid Protocol server-patch-n3-semantics-deletions-non-empty-all-triples)",
				ErrPatchConflict, t.S, t.P, t.O)
		}
	}
	fresh := &freshBlanks{g: g}
	ins, ok := q.instantiate(p.Inserts, row, fresh.scope())
	if !ok {
		return fmt.Errorf("%w: an insertion is not a valid triple under the where mapping", ErrPatchConflict)
	}
	if err := b.spend(len(dels) + len(ins)); err != nil {
		return err
	}
	for _, t := range dels {
		g.Remove(t)
	}
	for _, t := range ins {
		g.Add(t)
	}
	return nil
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

// journal records the changes made to a graph so they can be undone.
type journal struct {
	g   *Graph
	log []change
}

type change struct {
	t     Triple
	added bool
}

func (j *journal) add(t Triple) {
	if j.g.Add(t) {
		j.log = append(j.log, change{t, true})
	}
}

func (j *journal) remove(t Triple) {
	if j.g.Remove(t) {
		j.log = append(j.log, change{t, false})
	}
}

// rollback undoes every recorded change, newest first.
func (j *journal) rollback() {
	for i := len(j.log) - 1; i >= 0; i-- {
		if c := j.log[i]; c.added {
			j.g.Remove(c.t)
		} else {
			j.g.Add(c.t)
		}
	}
	j.log = nil
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

// slot is one compiled pattern position: the constant term, or (v >= 0)
// the index of a variable in a solution row.
type slot struct {
	term Term
	v    int
}

// query is a compiled WHERE: its patterns in join order, and its
// variables. Blank nodes of the WHERE are variables too, keyed "_:label"
// (no variable name holds ':'), which are not part of a mapping.
type query struct {
	pats  [][3]slot
	vars  map[string]int
	names []string
	blank []bool // the variable stands for a blank node of the WHERE
}

// compileQuery numbers the variables and orders the patterns for the join,
// charging the ordering work to b.
func compileQuery(where []Pattern, b *budget) *query {
	q := &query{vars: map[string]int{}}
	pats := make([][3]slot, len(where))
	for i, pt := range where {
		pats[i] = [3]slot{q.slot(pt.S), q.slot(pt.P), q.slot(pt.O)}
	}
	q.pats = q.order(pats, b)
	return q
}

// slot compiles one WHERE position.
func (q *query) slot(t PatternTerm) slot {
	key := t.Var
	if key == "" && t.Term.Kind == Blank {
		key = blankPrefix + t.Term.Value
	}
	if key == "" {
		return slot{term: t.Term, v: -1}
	}
	v, ok := q.vars[key]
	if !ok {
		v = len(q.names)
		q.vars[key] = v
		q.names = append(q.names, key)
		q.blank = append(q.blank, t.Var == "")
	}
	return slot{v: v}
}

// order sorts patterns greedily: next comes the pattern whose subject is
// known (the graph's index), else whose object, else predicate is known,
// given the variables bound by the patterns before it. It costs
// n²/2 steps; b records them (and the caller checks the budget).
func (q *query) order(pats [][3]slot, b *budget) [][3]slot {
	bound := make([]bool, len(q.names))
	out := make([][3]slot, 0, len(pats))
	for len(pats) > 0 {
		b.steps += len(pats)
		if b.steps > b.lim.MaxSteps {
			return append(out, pats...)
		}
		best, score := 0, -1
		for i, pt := range pats {
			if s := patternScore(pt, bound); s > score {
				best, score = i, s
			}
		}
		for _, s := range pats[best] {
			if s.v >= 0 {
				bound[s.v] = true
			}
		}
		out = append(out, pats[best])
		pats = append(pats[:best], pats[best+1:]...)
	}
	return out
}

// patternScore rates how selective a pattern is once the bound variables are known.
func patternScore(pt [3]slot, bound []bool) int {
	known := func(s slot) bool { return s.v < 0 || bound[s.v] }
	score := 0
	switch {
	case known(pt[0]):
		score = 4
	case known(pt[2]):
		score = 2
	case known(pt[1]):
		score = 1
	}
	if known(pt[0]) && (known(pt[1]) || known(pt[2])) {
		score++
	}
	return score
}

// value is the term at s in row, or the zero Term when unbound.
func (s slot) value(row []Term) Term {
	if s.v < 0 {
		return s.term
	}
	return row[s.v]
}

// instantiate substitutes row into a template. Variables come from row;
// a variable not in the query or unbound, or a triple RDF does not allow
// (literal subject, non-IRI predicate), makes ok false and the triple is
// left out. Blank nodes go through fresh when given (inserts) and are kept
// otherwise.
func (q *query) instantiate(tmpl []Pattern, row []Term, fresh func(Term) Term) (ts []Triple, ok bool) {
	ok = true
	for _, pt := range tmpl {
		var t [3]Term
		valid := true
		for i, x := range [3]PatternTerm{pt.S, pt.P, pt.O} {
			t[i] = q.term(x, row, fresh)
			valid = valid && !t[i].IsZero()
		}
		if !valid || !validTriple(t[0], t[1]) {
			ok = false
			continue
		}
		ts = append(ts, Triple{t[0], t[1], t[2]})
	}
	return ts, ok
}

// term is one instantiated template position, or the zero Term when unbound.
func (q *query) term(x PatternTerm, row []Term, fresh func(Term) Term) Term {
	switch {
	case x.Var != "":
		if v, ok := q.vars[x.Var]; ok && row != nil {
			return row[v]
		}
		return Term{}
	case x.Term.Kind == Blank && fresh != nil:
		return fresh(x.Term)
	}
	return x.Term
}

// validTriple reports whether s and p may be a subject and predicate (RDF
// 1.1 Concepts §3.1).
func validTriple(s, p Term) bool {
	return (s.Kind == IRI || s.Kind == Blank) && p.Kind == IRI
}

// evaluator finds the solutions of a query on a graph by a backtracking
// join over term IDs, charging every candidate triple it examines to the
// budget. Candidates come from indexes, never from a scan when any
// position is known: the graph's subject lists, and object and predicate
// indexes (sorted permutations of the triples, 20 bytes a triple) built on
// first use and charged one step per triple.
type evaluator struct {
	g     *Graph
	b     *budget
	keys  []spo   // every triple, built with the indexes
	byObj []int32 // indexes into keys, sorted by object
	byPre []int32 // indexes into keys, sorted by predicate
}

func newEvaluator(g *Graph, b *budget) *evaluator { return &evaluator{g: g, b: b} }

// errStop ends a search early without an error to report.
var errStop = fmt.Errorf("rdf: search stopped")

// oneMapping returns the one mapping of the query's variables
// (server-patch-n3-semantics); none, or two that differ, is
// ErrPatchConflict (server-patch-n3-semantics-no-mapping). Solutions that
// differ only in the where's blank nodes are one mapping.
func (e *evaluator) oneMapping(q *query) ([]Term, error) {
	var first []termID
	err := e.solve(q, func(row []termID) error {
		if first == nil {
			first = append([]termID{}, row...)
			return nil
		}
		if !sameMapping(q, first, row) {
			return errStop
		}
		return nil
	})
	switch {
	case err == errStop:
		return nil, fmt.Errorf("%w: the where formula has more than one mapping (Solid Protocol server-patch-n3-semantics-no-mapping)", ErrPatchConflict)
	case err != nil:
		return nil, err
	case first == nil:
		return nil, fmt.Errorf("%w: the where formula has no mapping (Solid Protocol server-patch-n3-semantics-no-mapping)", ErrPatchConflict)
	}
	return e.terms(first), nil
}

// terms turns a row of IDs into terms.
func (e *evaluator) terms(row []termID) []Term {
	out := make([]Term, len(row))
	for i, id := range row {
		if id != 0 {
			out[i] = e.g.term(id)
		}
	}
	return out
}

// sameMapping compares two rows on the named variables only.
func sameMapping(q *query, a, b []termID) bool {
	for i, blank := range q.blank {
		if !blank && a[i] != b[i] {
			return false
		}
	}
	return true
}

// solutions returns every solution, failing with ErrTooComplex past MaxSolutions.
func (e *evaluator) solutions(q *query) ([][]Term, error) {
	var rows [][]Term
	err := e.solve(q, func(row []termID) error {
		if len(rows) >= e.b.lim.MaxSolutions {
			return fmt.Errorf("%w: more than %d solutions", ErrTooComplex, e.b.lim.MaxSolutions)
		}
		rows = append(rows, e.terms(row))
		return nil
	})
	return rows, err
}

// idSlot is a compiled pattern position over IDs: the constant's ID (0
// when the graph lacks it), or the variable's index v >= 0.
type idSlot struct {
	id termID
	v  int
}

func (s idSlot) value(row []termID) termID {
	if s.v < 0 {
		return s.id
	}
	return row[s.v]
}

// solve calls emit with each solution row (reused between calls); an
// empty query has one empty solution. A constant the graph does not hold
// matches nothing.
func (e *evaluator) solve(q *query, emit func([]termID) error) error {
	pats := make([][3]idSlot, len(q.pats))
	for i, pt := range q.pats {
		for j, s := range pt {
			if s.v >= 0 {
				pats[i][j] = idSlot{v: s.v}
				continue
			}
			id, ok := e.g.terms.lookup(s.term)
			if !ok {
				return nil
			}
			pats[i][j] = idSlot{id: id, v: -1}
		}
	}
	return e.join(pats, make([]termID, len(q.names)), 0, emit)
}

// join extends row with the matches of pattern i and recurses.
func (e *evaluator) join(pats [][3]idSlot, row []termID, i int, emit func([]termID) error) error {
	if i == len(pats) {
		return emit(row)
	}
	pt := pats[i]
	var newly [3]int
	var err error
	e.candidates(pt[0].value(row), pt[1].value(row), pt[2].value(row), func(k spo) bool {
		if err = e.b.spend(1); err != nil {
			return false
		}
		n, ok := bind(pt, k, row, &newly)
		if ok {
			err = e.join(pats, row, i+1, emit)
		}
		for _, v := range newly[:n] {
			row[v] = 0
		}
		return err == nil
	})
	return err
}

// bind matches k against pt under row, binding unbound variables. It
// returns how many it bound (listed in newly, for the caller to undo).
func bind(pt [3]idSlot, k spo, row []termID, newly *[3]int) (int, bool) {
	n := 0
	for i, x := range k {
		s := pt[i]
		switch want := s.value(row); {
		case want == 0:
			row[s.v] = x
			newly[n] = s.v
			n++
		case want != x:
			return n, false
		}
	}
	return n, true
}

// candidates calls yield with the triples that may match (s, p, o), 0
// being unknown, until yield returns false: the subject's list when the
// subject is known, else the object or predicate index, else every triple.
func (e *evaluator) candidates(s, p, o termID, yield func(spo) bool) {
	switch {
	case s != 0 && p != 0 && o != 0:
		if k := (spo{s, p, o}); e.g.set[k] {
			yield(k)
		}
	case s != 0:
		e.g.eachID(s, yield)
	case o != 0:
		e.index()
		e.scanRange(e.byObj, 2, o, yield)
	case p != 0:
		e.index()
		e.scanRange(e.byPre, 1, p, yield)
	default:
		e.index()
		for _, k := range e.keys {
			if !yield(k) {
				return
			}
		}
	}
}

// scanRange yields the triples of perm (sorted by position pos) whose
// term at pos is id.
func (e *evaluator) scanRange(perm []int32, pos int, id termID, yield func(spo) bool) {
	i, _ := slices.BinarySearchFunc(perm, id, func(x int32, id termID) int { return cmp.Compare(e.keys[x][pos], id) })
	for ; i < len(perm) && e.keys[perm[i]][pos] == id; i++ {
		if !yield(e.keys[perm[i]]) {
			return
		}
	}
}

// index builds the triple list and the object and predicate indexes once.
// Its cost, one step per triple, is charged to the budget; going over is
// noticed at the next candidate. The graph does not change while an
// evaluator runs.
func (e *evaluator) index() {
	if e.keys != nil || e.g.Len() == 0 {
		return
	}
	e.b.steps += e.g.Len()
	e.keys = make([]spo, 0, e.g.Len())
	e.g.eachKey(func(k spo) bool {
		e.keys = append(e.keys, k)
		return true
	})
	perm := func(pos int) []int32 {
		p := make([]int32, len(e.keys))
		for i := range p {
			p[i] = int32(i)
		}
		slices.SortFunc(p, func(a, b int32) int { return cmp.Compare(e.keys[a][pos], e.keys[b][pos]) })
		return p
	}
	e.byObj, e.byPre = perm(2), perm(1)
}

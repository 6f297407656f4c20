package rdf

// Basic-graph-pattern evaluation over the graph's term ids: index-based
// joins (issue 10), bounded by the Apply budget.

import (
	"cmp"
	"fmt"
	"slices"
)

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

package rdf

import (
	"hash/maphash"
	"slices"
)

// Triple is one RDF statement (RDF 1.1 Concepts §3.1).
type Triple struct{ S, P, O Term }

// termID numbers a term of one graph (terms.go); 0 is no term.
type termID uint32

// spo is a triple of term IDs: 12 bytes instead of a 168-byte Triple.
type spo [3]termID

// po is the predicate and object of a triple, listed under its subject.
type po [2]termID

// Graph is a set of triples: adding a triple twice keeps one copy.
//
// Memory (SECURITY row 15; measured in BenchmarkGraphBytesPerTriple):
// every distinct term is stored once (terms), and a triple is three
// 4-byte term IDs, kept in a set for membership and in a per-subject
// list, which makes subject lookups and the sorted, subject-grouped output
// of the writers cheap. A removed triple stays in its subject's list as a
// tombstone (false in the set) until tombstones outnumber live triples,
// so Remove is O(1) however many triples a subject has.
// A Graph is not safe for concurrent mutation; concurrent reads are fine.
type Graph struct {
	terms  termTable
	set    map[spo]bool // true: present; false: removed, still in bySubj
	bySubj map[termID][]po
	n      int // live triples
	dead   int // tombstones
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{} }

func (g *Graph) init() {
	if g.set == nil {
		g.set = make(map[spo]bool)
		g.bySubj = make(map[termID][]po)
	}
}

// Add inserts t and reports whether it was new.
func (g *Graph) Add(t Triple) bool {
	g.init()
	k := spo{g.terms.intern(t.S), g.terms.intern(t.P), g.terms.intern(t.O)}
	live, listed := g.set[k]
	if live {
		return false
	}
	g.set[k] = true
	if listed {
		g.dead--
	} else {
		g.bySubj[k[0]] = append(g.bySubj[k[0]], po{k[1], k[2]})
	}
	g.n++
	return true
}

// key returns the IDs of t, ok false when one of its terms is not in the graph.
func (g *Graph) key(t Triple) (spo, bool) {
	s, ok1 := g.terms.lookup(t.S)
	p, ok2 := g.terms.lookup(t.P)
	o, ok3 := g.terms.lookup(t.O)
	return spo{s, p, o}, ok1 && ok2 && ok3
}

// Remove deletes t and reports whether it was present.
func (g *Graph) Remove(t Triple) bool {
	k, ok := g.key(t)
	if !ok || !g.set[k] {
		return false
	}
	g.set[k] = false
	g.n--
	g.dead++
	if g.dead > 1024 && g.dead > g.n {
		g.compact()
	}
	return true
}

// compact drops the tombstones.
func (g *Graph) compact() {
	for s, list := range g.bySubj {
		live := list[:0]
		for _, x := range list {
			k := spo{s, x[0], x[1]}
			if g.set[k] {
				live = append(live, x)
			} else {
				delete(g.set, k)
			}
		}
		if len(live) == 0 {
			delete(g.bySubj, s)
		} else {
			g.bySubj[s] = slices.Clip(live)
		}
	}
	g.dead = 0
}

// Has reports whether t is in the graph.
func (g *Graph) Has(t Triple) bool {
	k, ok := g.key(t)
	return ok && g.set[k]
}

// Len returns the number of triples.
func (g *Graph) Len() int { return g.n }

// Triples returns every triple in the one deterministic order
// (subject, predicate, object; see compareTerms).
func (g *Graph) Triples() []Triple {
	ts := make([]Triple, 0, g.n)
	g.eachGroup(&scratch{}, func(group []Triple) { ts = append(ts, group...) })
	return ts
}

// Match returns the triples matching the pattern, in Triples order.
// A zero Term in any position matches everything.
func (g *Graph) Match(s, p, o Term) []Triple {
	if !s.IsZero() {
		if !p.IsZero() && !o.IsZero() {
			if g.Has(Triple{s, p, o}) {
				return []Triple{{s, p, o}}
			}
			return nil
		}
		return filterPO(g.group(s, &scratch{}), p, o)
	}
	var ts []Triple
	g.eachGroup(&scratch{}, func(group []Triple) { ts = append(ts, filterPO(group, p, o)...) })
	return ts
}

func filterPO(group []Triple, p, o Term) []Triple {
	var out []Triple
	for _, t := range group {
		if (p.IsZero() || p == t.P) && (o.IsZero() || o == t.O) {
			out = append(out, t)
		}
	}
	return out
}

// term returns the term of an ID.
func (g *Graph) term(id termID) Term { return g.terms.terms[id-1] }

// eachID calls fn with the IDs of every triple of subject s, until fn
// returns false.
func (g *Graph) eachID(s termID, fn func(k spo) bool) bool {
	for _, x := range g.bySubj[s] {
		k := spo{s, x[0], x[1]}
		if g.set[k] && !fn(k) {
			return false
		}
	}
	return true
}

// eachKey calls fn with the IDs of every triple, in no particular order,
// until fn returns false.
func (g *Graph) eachKey(fn func(k spo) bool) {
	for s := range g.bySubj {
		if !g.eachID(s, fn) {
			return
		}
	}
}

// scratch holds the buffers sorting needs, so a writer can reuse them
// across calls (see writerPool) instead of allocating per request.
type scratch struct {
	subjects []Term
	group    []Triple
	idx      []int32
}

// subjects returns the distinct subjects, sorted, in sc.subjects.
func (g *Graph) subjects(sc *scratch) []Term {
	ss := sc.subjects[:0]
	for s := range g.bySubj {
		if g.eachID(s, func(spo) bool { return false }) {
			continue // only tombstones
		}
		ss = append(ss, g.term(s))
	}
	slices.SortFunc(ss, compareTerms)
	sc.subjects = ss
	return ss
}

// group returns the triples of subject s sorted by predicate and object,
// in sc.group.
func (g *Graph) group(s Term, sc *scratch) []Triple {
	buf := sc.group[:0]
	if id, ok := g.terms.lookup(s); ok {
		g.eachID(id, func(k spo) bool {
			buf = append(buf, Triple{s, g.term(k[1]), g.term(k[2])})
			return true
		})
	}
	sc.group = buf
	sc.sortTriples(buf)
	return buf
}

// sortTriples sorts ts in Triples order. It sorts 4-byte indices rather than
// 168-byte Triple values (cheap swaps, no GC write barriers), then applies
// the permutation in place by following its cycles.
func (sc *scratch) sortTriples(ts []Triple) {
	idx := sc.idx[:0]
	for i := range ts {
		idx = append(idx, int32(i))
	}
	sc.idx = idx
	slices.SortFunc(idx, func(a, b int32) int { return compareTriples(&ts[a], &ts[b]) })
	for i := range idx {
		if idx[i] < 0 {
			continue
		}
		tmp, j := ts[i], i
		for {
			k := int(idx[j])
			idx[j] = -1
			if k == i {
				ts[j] = tmp
				break
			}
			ts[j] = ts[k]
			j = k
		}
	}
}

// eachGroup calls fn with each subject's sorted triples, subjects in order.
// The slice passed to fn is reused between calls.
func (g *Graph) eachGroup(sc *scratch, fn func(group []Triple)) {
	for _, s := range g.subjects(sc) {
		fn(g.group(s, sc))
	}
}

// each calls fn for every triple in no particular order.
func (g *Graph) each(fn func(t Triple)) {
	g.eachKey(func(k spo) bool {
		fn(Triple{g.term(k[0]), g.term(k[1]), g.term(k[2])})
		return true
	})
}

func compareTriples(a, b *Triple) int {
	if c := compareTermPtrs(&a.S, &b.S); c != 0 {
		return c
	}
	if c := compareTermPtrs(&a.P, &b.P); c != 0 {
		return c
	}
	return compareTermPtrs(&a.O, &b.O)
}

// termTable stores each distinct term once and numbers it (IDs from 1).
// Its index is an open-addressing hash table of IDs, 4 bytes a slot, at
// most half full: a map[Term]termID would cost a 64-byte slot per term.
type termTable struct {
	terms []Term
	slots []termID
	seed  maphash.Seed
}

func (tt *termTable) hash(t *Term) uint64 { return maphash.Comparable(tt.seed, *t) }

// find returns the slot where t is or would go.
func (tt *termTable) find(t *Term) int {
	mask := len(tt.slots) - 1
	i := int(tt.hash(t)) & mask
	for {
		id := tt.slots[i]
		if id == 0 || tt.terms[id-1] == *t {
			return i
		}
		i = (i + 1) & mask
	}
}

// lookup returns the ID of t, if the table holds it.
func (tt *termTable) lookup(t Term) (termID, bool) {
	if len(tt.slots) == 0 {
		return 0, false
	}
	id := tt.slots[tt.find(&t)]
	return id, id != 0
}

// intern returns the ID of t, adding t when new.
func (tt *termTable) intern(t Term) termID {
	if len(tt.slots) == 0 {
		tt.seed = maphash.MakeSeed()
		tt.slots = make([]termID, 16)
	}
	i := tt.find(&t)
	if id := tt.slots[i]; id != 0 {
		return id
	}
	tt.terms = append(tt.terms, t)
	id := termID(len(tt.terms))
	tt.slots[i] = id
	if 2*len(tt.terms) > len(tt.slots) {
		tt.grow()
	}
	return id
}

func (tt *termTable) grow() {
	tt.slots = make([]termID, 2*len(tt.slots))
	mask := len(tt.slots) - 1
	for j := range tt.terms {
		i := int(tt.hash(&tt.terms[j])) & mask
		for tt.slots[i] != 0 {
			i = (i + 1) & mask
		}
		tt.slots[i] = termID(j + 1)
	}
}

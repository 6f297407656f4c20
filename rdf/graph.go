package rdf

import "slices"

// Triple is one RDF statement (RDF 1.1 Concepts §3.1).
type Triple struct{ S, P, O Term }

// po is the predicate and object of a triple, stored under its subject.
type po struct{ P, O Term }

// Graph is a set of triples: adding a triple twice keeps one copy. Triples
// are indexed by subject, which makes subject lookups and the sorted,
// subject-grouped output of the writers cheap.
// A Graph is not safe for concurrent mutation.
type Graph struct {
	bySubj map[Term]map[po]struct{}
	n      int
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{bySubj: make(map[Term]map[po]struct{})} }

// Add inserts t and reports whether it was new.
func (g *Graph) Add(t Triple) bool {
	if g.bySubj == nil {
		g.bySubj = make(map[Term]map[po]struct{})
	}
	m := g.bySubj[t.S]
	if m == nil {
		m = make(map[po]struct{}, 4)
		g.bySubj[t.S] = m
	}
	k := po{t.P, t.O}
	if _, ok := m[k]; ok {
		return false
	}
	m[k] = struct{}{}
	g.n++
	return true
}

// Remove deletes t and reports whether it was present.
func (g *Graph) Remove(t Triple) bool {
	m := g.bySubj[t.S]
	k := po{t.P, t.O}
	if _, ok := m[k]; !ok {
		return false
	}
	delete(m, k)
	if len(m) == 0 {
		delete(g.bySubj, t.S)
	}
	g.n--
	return true
}

// Has reports whether t is in the graph.
func (g *Graph) Has(t Triple) bool {
	_, ok := g.bySubj[t.S][po{t.P, t.O}]
	return ok
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
		ss = append(ss, s)
	}
	slices.SortFunc(ss, compareTerms)
	sc.subjects = ss
	return ss
}

// group returns the triples of subject s sorted by predicate and object,
// in sc.group.
func (g *Graph) group(s Term, sc *scratch) []Triple {
	buf := sc.group[:0]
	for k := range g.bySubj[s] {
		buf = append(buf, Triple{s, k.P, k.O})
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
	for s, m := range g.bySubj {
		for k := range m {
			fn(Triple{s, k.P, k.O})
		}
	}
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

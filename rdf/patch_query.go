package rdf

// A WHERE clause compiled for evaluation: variables numbered into slots, the
// patterns ordered most selective first, and templates instantiated from a
// solution row.

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

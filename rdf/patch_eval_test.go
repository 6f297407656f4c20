package rdf

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The index-based join (issue 10 item 7) finds exactly the solutions a
// naive nested loop over every triple finds, on random graphs and
// patterns that exercise the subject lists, the object and predicate
// indexes, constants absent from the graph, and removed triples.
func TestEvaluatorMatchesNaiveJoin(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 10))
	pool := []Term{
		NewIRI("http://e/a"), NewIRI("http://e/b"), NewIRI("http://e/c"), NewIRI("http://e/p"), NewIRI("http://e/q"),
		NewBlank("x"), NewLiteral("1", XSDInteger), NewLiteral("a", ""),
	}
	absent := NewIRI("http://e/absent")
	for round := range 300 {
		g := NewGraph()
		for range rng.IntN(40) {
			s, p, o := pool[rng.IntN(6)], pool[rng.IntN(5)], pool[rng.IntN(len(pool))]
			if s.Kind == Literal || p.Kind != IRI {
				continue
			}
			g.Add(Triple{s, p, o})
		}
		for _, tr := range g.Triples() {
			if rng.IntN(5) == 0 {
				g.Remove(tr)
			}
		}
		vars := []string{"v0", "v1", "v2"}
		pos := func() PatternTerm {
			switch r := rng.IntN(10); {
			case r < 5:
				return PatternTerm{Var: vars[rng.IntN(len(vars))]}
			case r == 5:
				return PatternTerm{Term: absent}
			default:
				return PatternTerm{Term: pool[rng.IntN(len(pool))]}
			}
		}
		var where []Pattern
		for range 1 + rng.IntN(3) {
			where = append(where, Pattern{pos(), pos(), pos()})
		}
		b := &budget{lim: ApplyLimits{}.withDefaults()}
		q := compileQuery(where, b)
		got, err := newEvaluator(g, b).solutions(q)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveSolutions(q, g.Triples())
		if a, b := rowsKey(got), rowsKey(want); !slices.Equal(a, b) {
			t.Fatalf("round %d, where %v:\nindexed %v\nnaive   %v", round, where, a, b)
		}
	}
}

// naiveSolutions joins the query's patterns by nested loops over ts.
func naiveSolutions(q *query, ts []Triple) [][]Term {
	var out [][]Term
	var rec func(i int, row []Term)
	rec = func(i int, row []Term) {
		if i == len(q.pats) {
			out = append(out, slices.Clone(row))
			return
		}
		for _, tr := range ts {
			next := slices.Clone(row)
			ok := true
			for j, x := range [3]Term{tr.S, tr.P, tr.O} {
				s := q.pats[i][j]
				switch {
				case s.v < 0:
					ok = ok && s.term == x
				case next[s.v].IsZero():
					next[s.v] = x
				default:
					ok = ok && next[s.v] == x
				}
			}
			if ok {
				rec(i+1, next)
			}
		}
	}
	rec(0, make([]Term, len(q.names)))
	return out
}

func rowsKey(rows [][]Term) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, x := range r {
			parts[j] = x.String()
		}
		out[i] = strings.Join(parts, " ")
	}
	slices.Sort(out)
	return out
}

package rdf

// The rollback journal that makes Patch.Apply atomic: every change made to
// the graph is recorded, and undone in reverse order when the patch fails.

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

package rdf

import (
	"bufio"
	"fmt"
	"io"
	"sync"
)

// Write serializes g in the given media type. It is the one deterministic
// writer: the same graph gives the same bytes whatever the insertion order.
// Triples are written subject by subject in sorted order (see compareTerms) and blank nodes are relabelled
// _:b0, _:b1, … in order of first appearance in the sorted output.
func Write(w io.Writer, g *Graph, mediaType string) error {
	if !Supported(mediaType) {
		return fmt.Errorf("%w: %q", ErrUnsupported, mediaType)
	}
	tw := writerPool.Get().(*textWriter)
	defer tw.release()
	tw.w.Reset(w)
	switch mediaType {
	case MediaTurtle:
		writeTurtle(tw, g)
	case MediaNTriples:
		writeNTriples(tw, g)
	default:
		writeJSONLD(tw, g)
	}
	return tw.w.Flush()
}

// writerPool recycles writers with their buffers: rendering a large
// container listing then allocates almost nothing.
var writerPool = sync.Pool{New: func() any {
	return &textWriter{w: bufio.NewWriterSize(nil, 16<<10), labels: map[string]int{}, sc: &scratch{}}
}}

// release clears per-call state and returns t to the pool; very large
// buffers are dropped so one huge graph does not pin memory.
func (t *textWriter) release() {
	t.w.Reset(nil)
	clear(t.labels)
	if cap(t.sc.group) > 1<<16 || cap(t.sc.subjects) > 1<<16 {
		t.sc = &scratch{}
	}
	writerPool.Put(t)
}

// textWriter holds the output buffer and the blank node relabelling shared
// by all three writers. Write errors are sticky in bufio.Writer and
// reported by Flush, so the write methods return nothing.
type textWriter struct {
	w       *bufio.Writer
	labels  map[string]int // nil: keep labels as they are (Term.String)
	scratch []byte
	sc      *scratch
}

func newTextWriter(w io.Writer) *textWriter { return &textWriter{w: bufio.NewWriter(w)} }

func (t *textWriter) flush() { _ = t.w.Flush() }

func (t *textWriter) str(s string) { _, _ = t.w.WriteString(s) }

func (t *textWriter) byte(c byte) { _ = t.w.WriteByte(c) }

// blank writes "_:" and the stable label of the blank node.
func (t *textWriter) blank(id string) {
	t.str(blankPrefix)
	if t.labels == nil {
		t.str(id)
		return
	}
	n, ok := t.labels[id]
	if !ok {
		n = len(t.labels)
		t.labels[id] = n
	}
	t.byte('b')
	t.scratch = appendInt(t.scratch[:0], n)
	_, _ = t.w.Write(t.scratch)
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

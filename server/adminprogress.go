package server

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress reports a long command's progress (backup, export, import:
// issue 16 item 1) on its standard error: bytes and items done (resources
// for export and import, the store's keys for a backup), the rate and,
// when the total is known or estimated, the time left. On a terminal it
// rewrites one line every second; otherwise (a log, a pipe) it writes a
// plain line every progressPlainEvery. A command makes one with
// cmdEnv.progress, calls Update as it goes and Done at the end.
type progress struct {
	w     io.Writer
	tty   bool
	total int64 // bytes expected, 0 if unknown
	unit  string
	start time.Time
	last  time.Time
	now   func() time.Time
}

const (
	progressTTYEvery   = time.Second
	progressPlainEvery = 10 * time.Second
)

// progress starts reporting on stderr; totalBytes is 0 when unknown (an
// estimate is fine: no time left is shown once it is passed); unit names
// what the command counts ("resources", "keys").
func (env *cmdEnv) progress(stderr io.Writer, totalBytes int64, unit string) *progress {
	now := time.Now
	if env.now != nil {
		now = env.now
	}
	t := now()
	return &progress{w: stderr, tty: env.tty, total: totalBytes, unit: unit, start: t, last: t, now: now}
}

// Update reports bytes and items done so far, if it is time to.
func (p *progress) Update(bytes, items int64) {
	every := progressPlainEvery
	if p.tty {
		every = progressTTYEvery
	}
	if t := p.now(); t.Sub(p.last) >= every {
		p.last = t
		p.print(bytes, items, false)
	}
}

// Done reports the final figures.
func (p *progress) Done(bytes, items int64) { p.print(bytes, items, true) }

func (p *progress) print(bytes, items int64, done bool) {
	elapsed := p.now().Sub(p.start)
	line := fmt.Sprintf("%s, %d %s", humanBytes(bytes), items, p.unit)
	if secs := elapsed.Seconds(); secs > 0 {
		rate := float64(bytes) / secs
		line += fmt.Sprintf(", %s/s", humanBytes(int64(rate)))
		if !done && p.total > bytes && rate > 0 {
			left := time.Duration(float64(p.total-bytes) / rate * float64(time.Second))
			line += fmt.Sprintf(", %s left", left.Round(time.Second))
		}
	}
	if done {
		line += fmt.Sprintf(", done in %s", elapsed.Round(time.Millisecond))
	}
	switch {
	case p.tty && done:
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", line)
	case p.tty:
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// inputSize is the size of r when it is a regular file, else 0 (a pipe,
// a terminal, anything else): what is left to read is then unknown.
func inputSize(r io.Reader) int64 {
	f, ok := r.(*os.File)
	if !ok {
		return 0
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	return fi.Size()
}

// humanBytes is n in B, kB, MB or GB (powers of 1000).
func humanBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

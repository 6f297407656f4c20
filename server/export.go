package server

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
)

const exportUsage = `Usage (while the server runs, through its admin socket; else on the store):
  naamio export [--data DIR] [--base-url URL] [-o FILE.tar] POD
      write pod POD as a tar (on standard output, or to FILE.tar: written as
      FILE.tar.partial and renamed when complete), laid out as the Community
      Solid Server's file backend lays out a pod: containers as directories,
      documents as files ("name$.ext" when the name's extension does not
      give the content type), RDF as Turtle, ".acl" and ".meta" files beside
      their subjects. Each resource is read whole; if the pod changes while
      the export runs, the command says so (the tar is then not one point in
      time: run it again, or use naamio backup).
`

// parseExport is naamio export POD.
func parseExport(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	base := fs.String("base-url", d.baseURL, "public base URL of the server (env NAAMIO_BASE_URL)")
	fs.String("o", "", "write the tar to FILE (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, exportUsage)
		return nil, errors.New("export: one POD expected")
	}
	name := fs.Arg(0)
	if err := pod.ValidName(name); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, stderr io.Writer) error {
		loc, err := ldp.NewLocator(*base, env.pods.Subdomain)
		if err != nil {
			return err
		}
		return exportPod(ctx, env, loc, name, stdout, stderr)
	}, nil
}

// archive is where an export writes: a tar (naamio export) or a zip (the
// owner's download).
type archive interface {
	dir(name, ownTurtle string, modTime time.Time) error
	file(name, contentType string, m ldp.Meta, body io.Reader) error
}

type tarArchive struct {
	tw      *tar.Writer
	rootIRI string // the exported pod's root IRI, recorded on "./"
}

func (a tarArchive) dir(name, own string, mod time.Time) error {
	hdr := &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: mod, PAXRecords: map[string]string{}}
	if name == "./" {
		hdr.PAXRecords[exportRootRecord] = a.rootIRI
	}
	// The container's own triples (the pod root's pim:Storage, ...): CSS
	// keeps a container's triples in its .meta; here they stay apart from
	// the description resource, in a record of the directory's entry.
	if own != "" {
		hdr.PAXRecords[exportBodyRecord] = own
	}
	return a.tw.WriteHeader(hdr)
}

func (a tarArchive) file(name, ct string, m ldp.Meta, body io.Reader) error {
	// Whole seconds, as Last-Modified gives them: a finer time made tar
	// call a file written a moment ago "in the future".
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: m.Size, ModTime: m.Modified.UTC().Truncate(time.Second),
		PAXRecords: map[string]string{exportTypeRecord: ct}}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := io.Copy(a.tw, body)
	return err
}

// exporter writes one pod's resources into an archive.
type exporter struct {
	st  ldp.Store
	out archive
	// may, if set, says whether resource p is exported (the owner's
	// download: what the owner may read).
	may      func(ctx context.Context, p string) bool
	root     string // store path of the pod root, "/alice/"
	modTime  time.Time
	bytes, n int64
	progress *progress
}

// exportPod writes pod name as a tar on w. The store offers no snapshot
// across reads, so each resource is read whole (Open reads its metadata
// and body in one transaction) and the change log tells afterwards
// whether anything in the pod changed meanwhile.
func exportPod(ctx context.Context, env *cmdEnv, loc *ldp.Locator, name string, w, stderr io.Writer) error {
	root := "/" + name + "/"
	if _, err := env.store.Stat(ctx, root); err != nil {
		if errors.Is(err, ldp.ErrNotFound) {
			return fmt.Errorf("export: no pod %s", name)
		}
		return err
	}
	startSeq := env.store.LastSeq()
	tw := tar.NewWriter(w)
	e := &exporter{st: env.store, out: tarArchive{tw: tw, rootIRI: loc.IRI(root)}, root: root, modTime: time.Now().UTC().Truncate(time.Second),
		progress: env.progress(stderr, env.store.PodUsage(name).Used, "resources")}
	if err := e.container(ctx, root); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	e.progress.Done(e.bytes, e.n)
	if changed, err := podChangedSince(ctx, env.store, event.Cursor(startSeq), root); err != nil {
		return err
	} else if changed > 0 {
		fmt.Fprintf(stderr, "export: the pod changed %d time(s) during the export: each resource is whole, but the tar is not one point in time\n", changed)
	}
	return nil
}

// podChangedSince counts the change-log entries after c under root.
func podChangedSince(ctx context.Context, st *badgerstore.Store, c event.Cursor, root string) (int, error) {
	n := 0
	for {
		changes, err := st.Changes(ctx, c, 1000)
		if err != nil || len(changes) == 0 {
			return n, err
		}
		for _, ch := range changes {
			if strings.HasPrefix(ch.Path, root) {
				n++
			}
			c = event.Cursor(ch.Seq)
		}
	}
}

// rel is the tar name of store path p: its decoded path under the pod
// root. A segment that decodes to something a file name cannot hold ("/"
// from %2F) keeps its escaped form.
func (e *exporter) rel(p string) string {
	r := strings.TrimPrefix(p, e.root)
	dir := strings.HasSuffix(r, "/")
	segs := strings.Split(strings.TrimSuffix(r, "/"), "/")
	for i, s := range segs {
		if d, err := url.PathUnescape(s); err == nil && !strings.ContainsAny(d, "/\\") {
			segs[i] = d
		}
	}
	out := strings.Join(segs, "/")
	if dir && out != "" {
		out += "/"
	}
	return out
}

func (e *exporter) container(ctx context.Context, p string) error {
	if e.may != nil && !e.may(ctx, p) {
		return nil // nothing below a container the owner cannot read
	}
	name := e.rel(p)
	if name == "" {
		name = "./"
	}
	body, err := e.read(ctx, p)
	if err != nil {
		return err
	}
	if err := e.out.dir(name, string(bytes.TrimSpace(body)), e.modTime); err != nil {
		return err
	}
	e.n++
	if err := e.aux(ctx, p); err != nil {
		return err
	}
	children, err := e.st.Children(ctx, p)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.IsContainer() {
			err = e.container(ctx, c.Path)
		} else {
			err = e.document(ctx, c.Path)
		}
		if errors.Is(err, ldp.ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// read returns the body of a (small, RDF) resource.
func (e *exporter) read(ctx context.Context, p string) ([]byte, error) {
	_, body, err := e.st.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return io.ReadAll(body)
}

// aux writes the .acl and .meta of subject p beside it.
func (e *exporter) aux(ctx context.Context, p string) error {
	for _, a := range ldp.AuxPaths(p) {
		fn := e.rel(a)
		if err := e.file(ctx, a, func(ldp.Meta) string { return fn }); err != nil && !errors.Is(err, ldp.ErrNotFound) {
			return err
		}
	}
	return nil
}

func (e *exporter) document(ctx context.Context, p string) error {
	r := e.rel(p)
	dir, name := "", r
	if i := strings.LastIndexByte(r, '/'); i >= 0 {
		dir, name = r[:i+1], r[i+1:]
	}
	if err := e.file(ctx, p, func(m ldp.Meta) string { return dir + fileName(name, m.ContentType) }); err != nil {
		return err
	}
	return e.aux(ctx, p)
}

// file writes resource p as a regular file named by fn.
func (e *exporter) file(ctx context.Context, p string, fn func(ldp.Meta) string) error {
	if e.may != nil && !e.may(ctx, p) {
		return nil
	}
	m, body, err := e.st.Open(ctx, p)
	if err != nil {
		return err
	}
	defer body.Close()
	err = e.out.file(fn(m), m.ContentType, m, body)
	e.bytes += m.Size
	e.n++
	e.progress.Update(e.bytes, e.n)
	if err != nil {
		return fmt.Errorf("export: %s: %w", p, err)
	}
	return nil
}

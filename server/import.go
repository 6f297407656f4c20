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
	"unicode/utf8"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/rdf"
)

const importUsage = `Usage (while the server runs, through its admin socket; else on the store):
  naamio import [--data DIR] [--base-url URL] [--from URL] [--max-entries N]
                [--max-file BYTES] [--email EMAIL [--pod-layout path|subdomain]]
                POD FILE.tar
      read a tar written by naamio export, or made with tar from a pod
      directory of the Community Solid Server's file backend, into pod POD,
      which must be new (nothing at <base>/POD/ yet) or empty (its root
      container has no children). FILE.tar "-" or no FILE: standard input.
      Every ACL is checked as it is read: one that could not be enforced
      stops the import, and everything it wrote is removed again. IRIs under
      the exported pod's root (recorded by naamio export, or given with
      --from, e.g. http://localhost:3000/alice/) are moved to the new root.
      With --email, the new pod is given to that existing account (another
      pod of it, WebID <root>profile/card#me, as the tar's ACLs name it once
      moved). On a running server, until a resource's own ACL arrives, it has a placeholder ACL that
      grants nothing, so a running server never serves it under a wider
      inherited ACL than the one the tar gives it.
`

// Import limits (SECURITY: a tar is input from elsewhere).
const (
	defaultImportMaxEntries = 100_000
	defaultImportMaxFile    = 1 << 30
	importMaxRDF            = 16 << 20 // an RDF file is parsed in memory
)

// parseImport is naamio import POD [FILE].
func parseImport(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	base := fs.String("base-url", d.baseURL, "public base URL of the server (env NAAMIO_BASE_URL)")
	from := fs.String("from", "", "root IRI of the pod where the tar was made (default: recorded in the tar)")
	maxEntries := fs.Int("max-entries", defaultImportMaxEntries, "refuse a tar with more entries")
	maxFile := fs.Int64("max-file", defaultImportMaxFile, "refuse a file larger than this many bytes")
	email := fs.String("email", "", "give the new pod to this existing account (its WebID: the pod's profile/card#me)")
	layout := fs.String("pod-layout", d.podLayout, "with --email: path or subdomain (env NAAMIO_POD_LAYOUT)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fmt.Fprint(stderr, importUsage)
		return nil, errors.New("import: POD and FILE.tar expected")
	}
	name := fs.Arg(0)
	if err := pod.ValidName(name); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if *from != "" && !strings.HasSuffix(*from, "/") {
		return nil, errors.New("import: --from must be a container IRI ending in /")
	}
	return func(ctx context.Context, env *cmdEnv, stdin io.Reader, stdout, stderr io.Writer) error {
		if env.pods.Retired(name) {
			// A deleted account's pod name: its WebID may still be named
			// in ACLs (SECURITY row 57); naamio pod release frees it.
			return fmt.Errorf("import: the pod name %s is retired (naamio pod release frees it)", name)
		}
		loc, err := ldp.NewLocator(*base, env.pods.Subdomain)
		if err != nil {
			return err
		}
		im := &importer{st: env.store, loc: loc, root: "/" + name + "/", from: *from,
			maxEntries: *maxEntries, maxFile: *maxFile, progress: env.progress(stderr, env.inputSize, "resources"),
			placeholders: map[string]bool{}, seen: map[string]bool{}, guard: env.running}
		if *email == "" {
			return im.run(ctx, stdin, stdout)
		}
		return importForAccount(ctx, env, im, name, *email, *layout == "subdomain", stdin, stdout)
	}, nil
}

// importForAccount imports into a new pod registered to the account of
// email first (so that its IRIs are the pod's own, in either layout), and
// unregisters it again if the import fails.
func importForAccount(ctx context.Context, env *cmdEnv, im *importer, name, email string, subdomain bool, stdin io.Reader, stdout io.Writer) (err error) {
	if ok, err := env.store.Exists(ctx, im.root); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("import: --email gives a new pod to an account, and %s exists already", im.root)
	}
	accounts, err := env.accounts(ctx)
	if err != nil {
		return err
	}
	acct, err := accounts.ByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("import: account %s: %w", email, err)
	}
	_, rootIRI := pod.LayoutFor(subdomain).Root(strings.TrimSuffix(im.loc.IRI("/"), "/")+"/", name)
	webID := rootIRI + "profile/card#me"
	if err := env.pods.Add(ctx, name, acct.ID, webID, subdomain); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer func() {
		if err != nil {
			bg := context.WithoutCancel(ctx)
			err = errors.Join(err, env.pods.Remove(bg, name))
		}
	}()
	if err := accounts.AddPod(ctx, acct.ID, name, webID); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, accounts.RemovePod(context.WithoutCancel(ctx), acct.ID, name, webID))
		}
	}()
	if err := im.run(ctx, stdin, stdout); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "pod %s belongs to %s, WebID %s\n", name, email, webID)
	return err
}

// importInFile is import's command.in, its FILE argument: the CLI
// opens it (not the server) and passes it as standard input.
func importInFile(fs *flag.FlagSet) string {
	if fs.NArg() == 2 && fs.Arg(1) != "-" {
		return fs.Arg(1)
	}
	return ""
}

// importer writes the entries of one tar into a pod.
type importer struct {
	st           ldp.Store
	loc          *ldp.Locator
	root         string // "/alice/"
	from         string // IRI prefix to move to the new root ("": none)
	maxEntries   int
	maxFile      int64
	progress     *progress
	written      []string        // in order, for undoing
	placeholders map[string]bool // ACL paths holding a placeholder
	seen         map[string]bool // resource paths from the tar
	bytes, n     int64
	// guard: give each resource a placeholder ACL until its own arrives
	// (a running server serves what is written at once; offline nobody
	// reads before the import ends, and the placeholders would cost two
	// more commits per resource).
	guard bool
}

// errImport marks the tar's own faults (reported with the entry name).
var errImport = errors.New("import")

func (im *importer) run(ctx context.Context, in io.Reader, stdout io.Writer) (err error) {
	if err := im.checkEmpty(ctx); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if uerr := im.undo(context.WithoutCancel(ctx)); uerr != nil {
				err = errors.Join(err, fmt.Errorf("import: removing what was written: %w", uerr))
			} else {
				err = fmt.Errorf("%w (nothing imported: what was written is removed)", err)
			}
		}
	}()
	if err := im.ensureContainer(ctx, im.root, nil); err != nil {
		return err
	}
	tr := tar.NewReader(in)
	entries := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: reading the tar: %w", errImport, err)
		}
		entries++
		if entries > im.maxEntries {
			return fmt.Errorf("%w: more than %d entries", errImport, im.maxEntries)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := im.entry(ctx, hdr, tr); err != nil {
			return fmt.Errorf("%w: %q: %w", errImport, hdr.Name, err)
		}
	}
	// Placeholders never replaced give way to inheritance, as the tar has it.
	for p := range im.placeholders {
		if err := im.st.Delete(ctx, ldp.DeleteRequest{Path: p, Origin: originImport}); err != nil && !errors.Is(err, ldp.ErrNotFound) {
			return err
		}
	}
	im.progress.Done(im.bytes, im.n)
	_, err = fmt.Fprintf(stdout, "imported %d resources into %s\n", im.n, im.loc.IRI(im.root))
	return err
}

const originImport = "urn:naamio:admin:import"

// checkEmpty refuses a pod that holds anything beyond its root container.
func (im *importer) checkEmpty(ctx context.Context) error {
	children, err := im.st.Children(ctx, im.root)
	if errors.Is(err, ldp.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(children) > 0 {
		return fmt.Errorf("import: pod %s is not empty (%d resources in its root); import only into a new or empty pod", strings.Trim(im.root, "/"), len(children))
	}
	return nil
}

// rootFrom takes the exported pod's root IRI from hdr, unless --from
// named one: IRIs under it are moved to the new pod's root.
func (im *importer) rootFrom(hdr *tar.Header) {
	if r, ok := paxRecord(hdr, exportRootRecord, oldRootRecord); ok && im.from == "" && strings.HasSuffix(r, "/") {
		im.from = r
	}
}

// entry imports one tar entry.
func (im *importer) entry(ctx context.Context, hdr *tar.Header, body io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		// Where tars written before recorded the pod's root IRI.
		im.rootFrom(hdr)
		return nil
	case tar.TypeDir, tar.TypeReg:
	default:
		return fmt.Errorf("entry type %q refused (only files and directories)", hdr.Typeflag)
	}
	segs, err := entrySegments(hdr.Name)
	if err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeDir {
		p := im.root
		for _, s := range segs {
			p += importSegment(s) + "/"
		}
		if len(segs) > 0 && strings.HasSuffix(segs[len(segs)-1], ".acl") || len(segs) > 0 && strings.HasSuffix(segs[len(segs)-1], ".meta") {
			return errors.New("a directory cannot be named like an auxiliary resource")
		}
		if len(segs) == 0 {
			im.rootFrom(hdr)
		}
		var own *rdf.Graph
		if b, ok := paxRecord(hdr, exportBodyRecord, oldBodyRecord); ok {
			if own, err = im.parse(strings.NewReader(b), rdf.MediaTurtle, p); err != nil {
				return err
			}
		}
		return im.ensureContainer(ctx, p, own)
	}
	if len(segs) == 0 {
		return errors.New("a file needs a name")
	}
	if hdr.Size < 0 || hdr.Size > im.maxFile {
		return fmt.Errorf("%d bytes: over the limit of %d", hdr.Size, im.maxFile)
	}
	dir := im.root
	for _, s := range segs[:len(segs)-1] {
		dir += importSegment(s) + "/"
	}
	name, ct := resourceName(segs[len(segs)-1])
	if name == "" {
		return errors.New("a file needs a name")
	}
	if exact, ok := paxRecord(hdr, exportTypeRecord, oldTypeRecord); ok {
		ct = exact
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	p := dir + importSegment(name)
	if _, err := ldp.CanonicalPath(p); err != nil {
		return fmt.Errorf("not a valid resource name: %w", err)
	}
	if im.seen[p] {
		return errors.New("a second entry for the same resource")
	}
	im.seen[p] = true
	if err := im.ensureContainer(ctx, dir, nil); err != nil {
		return err
	}
	kind, subject := ldp.Auxiliary(p)
	if kind == ldp.NotAux {
		if err := im.placeholder(ctx, p+".acl"); err != nil {
			return err
		}
	} else if k, _ := ldp.Auxiliary(subject); k != ldp.NotAux {
		return errors.New("an auxiliary resource of an auxiliary resource")
	}
	if kind != ldp.NotAux {
		return im.putRDF(ctx, p, kind, rdf.MediaTurtle, body, hdr.Size)
	}
	if isRDF(ct) {
		return im.putRDF(ctx, p, kind, baseType(ct), body, hdr.Size)
	}
	return im.put(ctx, ldp.PutRequest{Path: p, ContentType: ct, Body: io.LimitReader(body, hdr.Size), SizeHint: hdr.Size})
}

// importSegment is the escaped path segment of file name s. A name that
// decodes to one holding "/" is how export writes such a segment (a file
// name cannot hold "/"), so it is read back escaped.
func importSegment(s string) string {
	if d, err := url.PathUnescape(s); err == nil && strings.Contains(d, "/") {
		return ldp.EscapeSegment(d)
	}
	return ldp.EscapeSegment(s)
}

func isRDF(ct string) bool { return rdf.Supported(baseType(ct)) }

// entrySegments splits a tar name into decoded resource segments, refusing
// what could reach outside the pod or name no resource.
func entrySegments(name string) ([]string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") || !utf8.ValidString(name) {
		return nil, errors.New("not a relative file name")
	}
	name = strings.TrimSuffix(name, "/")
	var segs []string
	for i, s := range strings.Split(name, "/") {
		switch {
		case s == "." && i == 0:
			continue
		case s == "" || s == "." || s == "..":
			return nil, errors.New("empty, . or .. segment refused")
		}
		segs = append(segs, s)
	}
	return segs, nil
}

// parse parses Turtle for resource p and moves IRIs under the old root.
func (im *importer) parse(r io.Reader, mt, p string) (*rdf.Graph, error) {
	g, err := rdf.Parse(r, mt, im.loc.IRI(p), rdf.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%s does not parse: %w", mt, err)
	}
	newRoot := im.loc.IRI(im.root)
	if im.from == "" || im.from == newRoot {
		return g, nil
	}
	moved := rdf.NewGraph()
	mv := func(t rdf.Term) rdf.Term {
		if t.Kind == rdf.IRI && strings.HasPrefix(t.Value, im.from) {
			t.Value = newRoot + strings.TrimPrefix(t.Value, im.from)
		}
		return t
	}
	for _, t := range g.Triples() {
		moved.Add(rdf.Triple{S: mv(t.S), P: mv(t.P), O: mv(t.O)})
	}
	return moved, nil
}

// putRDF reads an RDF file (a document, an .acl or a .meta), checks it
// and stores it as canonical Turtle.
func (im *importer) putRDF(ctx context.Context, p string, kind ldp.AuxKind, mt string, body io.Reader, size int64) error {
	if size > importMaxRDF {
		return fmt.Errorf("an RDF file of %d bytes: over the limit of %d", size, importMaxRDF)
	}
	g, err := im.parse(io.LimitReader(body, size), mt, p)
	if err != nil {
		return err
	}
	if kind == ldp.AuxMeta {
		dropCSSInternal(g)
	}
	if kind == ldp.AuxACL {
		if _, err := acl.Compile(g, im.loc.IRI(p)); err != nil {
			return fmt.Errorf("ACL refused, it could not be enforced: %w", err)
		}
		delete(im.placeholders, p)
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, rdf.MediaTurtle); err != nil {
		return err
	}
	return im.put(ctx, ldp.PutRequest{Path: p, ContentType: rdf.MediaTurtle, RDF: true, Aux: kind != ldp.NotAux, Body: &buf})
}

// cssInternal is the namespace of the Community Solid Server's own
// statements in its .meta files (and its content-type record, ma:format).
const (
	cssInternal = "urn:npm:solid:community-server:meta:"
	maFormat    = "http://www.w3.org/ns/ma-ont#format"
)

func dropCSSInternal(g *rdf.Graph) {
	for _, t := range g.Triples() {
		if strings.HasPrefix(t.P.Value, cssInternal) || t.P.Value == maFormat {
			g.Remove(t)
		}
	}
}

func (im *importer) put(ctx context.Context, req ldp.PutRequest) error {
	req.Origin = originImport
	m, _, err := im.st.Put(ctx, req)
	if err != nil {
		return err
	}
	im.written = append(im.written, req.Path)
	im.bytes += m.Size
	im.n++
	im.progress.Update(im.bytes, im.n)
	return nil
}

// placeholder gives resource or container ACL path a an ACL that grants
// nothing, unless the tar has given it one already.
func (im *importer) placeholder(ctx context.Context, a string) error {
	if !im.guard || im.seen[a] || im.placeholders[a] {
		return nil
	}
	if ok, err := im.st.Exists(ctx, a); err != nil || ok {
		return err
	}
	if _, _, err := im.st.Put(ctx, ldp.PutRequest{Path: a, ContentType: rdf.MediaTurtle, RDF: true, Aux: true, Origin: originImport}); err != nil {
		return err
	}
	im.written = append(im.written, a)
	im.placeholders[a] = true
	return nil
}

// ensureContainer creates container p and its missing ancestors inside
// the pod (each with a placeholder ACL first), or sets its own triples.
func (im *importer) ensureContainer(ctx context.Context, p string, own *rdf.Graph) error {
	if p != im.root {
		if err := im.ensureContainer(ctx, ldp.Parent(p), nil); err != nil {
			return err
		}
	}
	if own == nil {
		if ok, err := im.st.Exists(ctx, p); err != nil || ok {
			return err
		}
	}
	if err := im.placeholder(ctx, p+".acl"); err != nil {
		return err
	}
	var body io.Reader
	if own != nil {
		var buf bytes.Buffer
		if err := rdf.Write(&buf, own, rdf.MediaTurtle); err != nil {
			return err
		}
		body = &buf
	}
	return im.put(ctx, ldp.PutRequest{Path: p, ContentType: rdf.MediaTurtle, RDF: true, Body: body})
}

// undo removes what the import wrote, newest first (documents and
// auxiliary resources before their containers).
func (im *importer) undo(ctx context.Context) error {
	var errs []error
	for i := len(im.written) - 1; i >= 0; i-- {
		p := im.written[i]
		if err := im.st.Delete(ctx, ldp.DeleteRequest{Path: p, Aux: auxIfAny(p), Origin: originImport}); err != nil && !errors.Is(err, ldp.ErrNotFound) {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

func auxIfAny(p string) []string {
	if k, _ := ldp.Auxiliary(p); k != ldp.NotAux {
		return nil
	}
	return ldp.AuxPaths(p)
}

package server

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/rdf"
)

const aclUsage = `Usage (the server must be stopped: the store is opened directly):
  naamio acl show [--data DIR] [--base-url URL] PATH
      print which ACL resource governs PATH, whether it is inherited, and its Turtle
  naamio acl set  [--data DIR] [--base-url URL] PATH < acl.ttl
      replace PATH's own ACL resource with the Turtle on stdin (relative IRIs
      resolve against the ACL resource). The ACL is checked first; a container
      PATH is created if missing. This is the way back in for an owner whose
      root ACL no longer gives them Control.
`

// aclCommand is the owner's offline access to ACLs: reading the effective
// ACL of a path, and replacing one when the owner has locked themselves out
// over HTTP.
func aclCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "set") {
		fmt.Fprint(stderr, aclUsage)
		return errors.New("acl: show or set expected")
	}
	sub := args[0]
	fs := flag.NewFlagSet("acl "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (env NAAMIO_DATA)")
	base := fs.String("base-url", envOr("NAAMIO_BASE_URL", defaults().BaseURL), "public base URL of the server (env NAAMIO_BASE_URL)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, aclUsage)
		return errors.New("acl: one PATH expected")
	}
	p, err := ldp.CanonicalPath(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("acl: path %q: %w", fs.Arg(0), err)
	}
	if kind, _ := ldp.Auxiliary(p); kind != ldp.NotAux {
		return fmt.Errorf("acl: %s is an auxiliary resource; name the resource it belongs to", p)
	}
	// set creates a new data directory, so a container can be opened
	// before the server first starts (the README's "Try it").
	st, err := openStopped(*dir, sub == "set")
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	loc, err := openLocator(st, *base)
	if err != nil {
		return err
	}
	if sub == "show" {
		return showACL(ctx, st, loc, p, stdout)
	}
	src, err := io.ReadAll(io.LimitReader(stdin, maxACLInput+1))
	if err != nil {
		return err
	}
	if len(src) > maxACLInput {
		return fmt.Errorf("acl: more than %d bytes on stdin", maxACLInput)
	}
	if err := setACL(ctx, st, loc, p, src); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", p+".acl")
	return nil
}

const maxACLInput = 1 << 20

// openStopped opens the store of a stopped server for an offline command
// (create the directory when create, else it must exist). Badger's
// directory lock refuses it while the server runs.
func openStopped(dir string, create bool) (*badgerstore.Store, error) {
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		return nil, fmt.Errorf("%w (stop the server first: the store is opened directly)", err)
	}
	return st, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// openLocator is the server's Locator for the store: its pods' layouts
// come from the registry.
func openLocator(st *badgerstore.Store, base string) (*ldp.Locator, error) {
	pods, err := openPods(st)
	if err != nil {
		return nil, err
	}
	return ldp.NewLocator(base, pods.Subdomain)
}

func showACL(ctx context.Context, st ldp.Store, loc *ldp.Locator, p string, out io.Writer) error {
	r, err := ldp.NewACLResolver(st, loc, 0)
	if err != nil {
		return err
	}
	eff, err := r.Effective(ctx, p)
	if err != nil {
		return fmt.Errorf("acl: %s: %w (every request for it is denied)", p, err)
	}
	how := "its own ACL (acl:accessTo)"
	if eff.Inherited {
		how = "inherited (acl:default of " + eff.Target + ")"
	}
	fmt.Fprintf(out, "# %s is governed by %s: %s, %d authorizations\n", p, eff.ACLPath, how, eff.ACL.Len())
	_, body, err := st.Open(ctx, eff.ACLPath)
	if err != nil {
		return err
	}
	defer body.Close()
	_, err = io.Copy(out, body)
	return err
}

func setACL(ctx context.Context, st ldp.Store, loc *ldp.Locator, p string, src []byte) error {
	aclPath := p + ".acl"
	iri := loc.IRI(aclPath)
	g, err := rdf.Parse(bytes.NewReader(src), rdf.MediaTurtle, iri, rdf.Limits{})
	if err != nil {
		return fmt.Errorf("acl: the Turtle does not parse: %w", err)
	}
	if _, err := acl.Compile(g, iri); err != nil {
		return fmt.Errorf("acl: not written, it could not be enforced: %w", err)
	}
	if _, err := st.Stat(ctx, p); errors.Is(err, ldp.ErrNotFound) {
		if !ldp.IsContainerPath(p) {
			return fmt.Errorf("acl: %s does not exist", p)
		}
		if _, _, err := st.Put(ctx, ldp.PutRequest{Path: p, ContentType: rdf.MediaTurtle, RDF: true, Origin: originACLCommand}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, rdf.MediaTurtle); err != nil {
		return err
	}
	_, _, err = st.Put(ctx, ldp.PutRequest{
		Path: aclPath, ContentType: rdf.MediaTurtle, RDF: true, Aux: true, Body: &buf, Origin: originACLCommand,
	})
	return err
}

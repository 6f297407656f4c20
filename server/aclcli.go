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

const aclUsage = `Usage (while the server runs, through its admin socket; else on the store):
  naamio acl show [--data DIR] [--base-url URL] PATH
      print which ACL resource governs PATH, whether it is inherited, and its Turtle
  naamio acl set  [--data DIR] [--base-url URL] PATH < acl.ttl
      replace PATH's own ACL resource with the Turtle on stdin (relative IRIs
      resolve against the ACL resource). The ACL is checked first; a container
      PATH is created if missing. This is the way back in for an owner whose
      root ACL no longer gives them Control.
`

// aclCommand is naamio acl ARGS: reading the effective ACL of a path,
// and replacing one when the owner has locked themselves out over HTTP.
func aclCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return groupCommand("acl", args, stdin, stdout, stderr)
}

// parseACL is naamio acl show (set false) or acl set. set creates a new
// data directory offline, so that a container can be opened before the
// server first starts (the README's "Try it").
func parseACL(set bool) func(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	return func(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
		base := fs.String("base-url", d.baseURL, "public base URL of the server (env NAAMIO_BASE_URL)")
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, aclUsage)
			return nil, errors.New("acl: one PATH expected")
		}
		p, err := ldp.CanonicalPath(fs.Arg(0))
		if err != nil {
			return nil, fmt.Errorf("acl: path %q: %w", fs.Arg(0), err)
		}
		if kind, _ := ldp.Auxiliary(p); kind != ldp.NotAux {
			return nil, fmt.Errorf("acl: %s is an auxiliary resource; name the resource it belongs to", p)
		}
		return func(ctx context.Context, env *cmdEnv, stdin io.Reader, stdout, _ io.Writer) error {
			loc, err := ldp.NewLocator(*base, env.pods.Subdomain)
			if err != nil {
				return err
			}
			if !set {
				return showACL(ctx, env.store, loc, p, stdout)
			}
			src, err := io.ReadAll(io.LimitReader(stdin, maxACLInput+1))
			if err != nil {
				return err
			}
			if len(src) > maxACLInput {
				return fmt.Errorf("acl: more than %d bytes on stdin", maxACLInput)
			}
			if err := setACL(ctx, env.store, loc, p, src); err != nil {
				return err
			}
			_, err = fmt.Fprintf(stdout, "wrote %s\n", p+".acl")
			return err
		}, nil
	}
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
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1, BeforeMigrate: migrationBackup(dir)})
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

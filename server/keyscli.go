package server

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/kv"
)

const keysUsage = `Usage (while the server runs, through its admin socket; else on the store):
  naamio keys list [--data DIR]
      print the OpenID Provider's signing keys, oldest first: kid, created,
      retired ("-" for the active key). All of them are published in the JWKS.
  naamio keys rotate [--data DIR]
      make a new signing key active and print its kid and the kids still
      published. Retired keys stay published until the tokens they signed
      have expired. The running server rotates by itself after
      --signing-key-max-age.
`

// keysCommand is naamio keys ARGS: the OpenID Provider's signing keys.
func keysCommand(args []string, stdout, stderr io.Writer) error {
	return groupCommand("keys", args, nil, stdout, stderr)
}

// parseKeys is naamio keys list (rotate false) or keys rotate. While the
// server runs, its provider makes the new key and signs with it at once.
func parseKeys(rotate bool) func(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	return func(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() > 0 {
			fmt.Fprint(stderr, keysUsage)
			return nil, fmt.Errorf("%s: no arguments expected, got %q", fs.Name(), fs.Args())
		}
		return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
			if !rotate {
				tokens, err := env.store.KV(kv.Tokens) // the provider's namespace (newIdentity)
				if err != nil {
					return err
				}
				keys, err := op.ListKeys(ctx, tokens)
				if err != nil {
					return err
				}
				if len(keys) == 0 {
					_, err = fmt.Fprintln(stdout, "no signing keys yet: the server makes one on its first start")
					return err
				}
				return printKeys(stdout, keys)
			}
			keys, err := env.rotateKeys(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "active\t%s\n", keys[len(keys)-1].KID)
			for _, k := range keys {
				fmt.Fprintf(stdout, "published\t%s\n", k.KID)
			}
			return nil
		}, nil
	}
}

// printKeys writes one line per key: kid, created, retired (no private
// material: KeyInfo has none).
func printKeys(w io.Writer, keys []op.KeyInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tCREATED\tRETIRED")
	for _, k := range keys {
		retired := "-"
		if !k.Retired.IsZero() {
			retired = k.Retired.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.KID, k.Created.UTC().Format(time.RFC3339), retired)
	}
	return tw.Flush()
}

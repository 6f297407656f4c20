package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/kv"
)

const keysUsage = `Usage (the server must be stopped: the store is opened directly):
  naamio keys list [--data DIR]
      print the OpenID Provider's signing keys, oldest first: kid, created,
      retired ("-" for the active key). All of them are published in the JWKS.
  naamio keys rotate [--data DIR]
      make a new signing key active and print its kid and the kids still
      published. Retired keys stay published until the tokens they signed
      have expired. The running server rotates by itself after
      --signing-key-max-age.
`

// keysCommand lists or rotates the OpenID Provider's signing keys offline.
func keysCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		fmt.Fprint(stderr, keysUsage)
		return errors.New("keys: list or rotate expected")
	}
	sub := args[0]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (env NAAMIO_DATA)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, keysUsage)
		return fmt.Errorf("keys %s: no arguments expected, got %q", sub, fs.Args())
	}
	st, err := openStopped(*dir, false)
	if err != nil {
		return err
	}
	defer st.Close()
	tokens, err := st.KV(kv.Tokens) // the provider's namespace (newIdentity)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if sub == "list" {
		keys, err := op.ListKeys(ctx, tokens)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			fmt.Fprintln(stdout, "no signing keys yet: the server makes one on its first start")
			return nil
		}
		return printKeys(stdout, keys)
	}
	// The server's access tokens live op.DefaultAccessTokenTTL (it has no
	// setting for it), which bounds how long a retired key stays published.
	keys, err := op.RotateKeys(ctx, tokens, op.DefaultAccessTokenTTL, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "active\t%s\n", keys[len(keys)-1].KID)
	for _, k := range keys {
		fmt.Fprintf(stdout, "published\t%s\n", k.KID)
	}
	return nil
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

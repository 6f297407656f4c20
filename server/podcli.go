package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

const podUsage = `Usage (the server must be stopped: the store is opened directly):
  naamio pod release [--data DIR] [--base-url URL] NAME
      free the name of a deleted account's pod, which otherwise stays
      reserved so that its WebID never passes to someone else (SECURITY.md
      row 57). First every acl:agent statement naming the old WebID is
      removed from every ACL in the store (the ACLs changed are printed), so
      that whoever signs up with NAME next gets none of the old grants.
  naamio pod lock [--data DIR] NAME
  naamio pod unlock [--data DIR] NAME
      lock or unlock the pod owner's ActivityPub account: a locked account
      says manuallyApprovesFollowers, and Follow requests wait for the
      owner's Accept or Reject. Accounts are unlocked by default.
`

// podCommand is the administrator's offline handling of pod names.
func podCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "lock" || args[0] == "unlock") {
		return lockCommand(args, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "release" {
		fmt.Fprint(stderr, podUsage)
		return errors.New("pod: release, lock or unlock expected")
	}
	fs := flag.NewFlagSet("pod release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (env NAAMIO_DATA)")
	base := fs.String("base-url", envOr("NAAMIO_BASE_URL", defaults().BaseURL), "public base URL of the server (env NAAMIO_BASE_URL)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, podUsage)
		return errors.New("pod: one NAME expected")
	}
	name := fs.Arg(0)
	if err := pod.ValidName(name); err != nil {
		return err
	}
	st, err := openStopped(*dir, false)
	if err != nil {
		return err
	}
	defer st.Close()
	pods, err := openPods(st)
	if err != nil {
		return err
	}
	return releasePod(context.Background(), st, pods, *base, name, stdout)
}

// releasePod removes the retired name's WebIDs from every ACL, then frees
// the name. Run again after a failure, it finishes the job.
func releasePod(ctx context.Context, st *badgerstore.Store, pods *idp.Pods, base, name string, stdout io.Writer) error {
	webIDs, ok := pods.RetiredWebIDs(name)
	if !ok {
		if _, live := pods.Owner(name); live {
			return fmt.Errorf("pod: %s belongs to an existing account; only a deleted account's pod name can be released", name)
		}
		return fmt.Errorf("%w: %s", idp.ErrNotRetired, name)
	}
	loc, err := openLocator(st, base)
	if err != nil {
		return err
	}
	changed, err := idp.ForgetWebIDs(ctx, st, loc.IRI, webIDs)
	for _, p := range changed {
		fmt.Fprintf(stdout, "removed %v from %s\n", webIDs, p)
	}
	if err != nil {
		return fmt.Errorf("pod: removing the old WebID from the ACLs (nothing released; run again): %w", err)
	}
	// The name's ActivityPub key and settings go too: whoever signs up
	// for it next is another actor, with a key of their own.
	records, err := st.KV(kv.Federation)
	if err != nil {
		return err
	}
	if err := federation.ForgetPod(ctx, records, name); err != nil {
		return fmt.Errorf("pod: forgetting the name's ActivityPub key (nothing released; run again): %w", err)
	}
	if _, err := pods.Release(ctx, name); err != nil {
		return err
	}
	for _, p := range changed {
		if p == rootACLPath {
			fmt.Fprintln(stdout, "the root ACL named the deleted account: check that someone still has Control of the storage (naamio acl show /, naamio acl set /)")
		}
	}
	fmt.Fprintf(stdout, "released %s: it can be signed up for again\n", name)
	return nil
}

// lockCommand is naamio pod lock|unlock NAME: the pod's ActivityPub
// account setting (federation.Settings.Locked, manuallyApprovesFollowers).
func lockCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pod "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (env NAAMIO_DATA)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, podUsage)
		return errors.New("pod: one NAME expected")
	}
	name := fs.Arg(0)
	st, err := openStopped(*dir, false)
	if err != nil {
		return err
	}
	defer st.Close()
	pods, err := openPods(st)
	if err != nil {
		return err
	}
	if _, ok := pods.Owner(name); !ok {
		return fmt.Errorf("pod: no pod %q", name)
	}
	records, err := st.KV(kv.Federation)
	if err != nil {
		return err
	}
	ctx := context.Background()
	set, err := federation.LoadSettings(ctx, records, name)
	if err != nil {
		return err
	}
	set.Locked = args[0] == "lock"
	if err := federation.SaveSettings(ctx, records, name, set); err != nil {
		return err
	}
	if set.Locked {
		fmt.Fprintf(stdout, "locked %s: Follow requests now wait for the owner's approval\n", name)
	} else {
		fmt.Fprintf(stdout, "unlocked %s: Follow requests are accepted at once\n", name)
	}
	return nil
}

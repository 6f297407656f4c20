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
	"github.com/naamio/naamio/ldp"
)

const podUsage = `Usage (while the server runs, through its admin socket; else on the store):
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
` + podQuotaUsage

// podCommand is naamio pod ARGS: the administrator's handling of pod
// names.
func podCommand(args []string, stdout, stderr io.Writer) error {
	return groupCommand("pod", args, nil, stdout, stderr)
}

// parsePodRelease is naamio pod release NAME.
func parsePodRelease(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	base := fs.String("base-url", d.baseURL, "public base URL of the server (env NAAMIO_BASE_URL)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, podUsage)
		return nil, errors.New("pod: one NAME expected")
	}
	name := fs.Arg(0)
	if err := pod.ValidName(name); err != nil {
		return nil, err
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
		return releasePod(ctx, env, *base, name, stdout)
	}, nil
}

// releasePod removes the retired name's WebIDs from every ACL, then frees
// the name. Run again after a failure, it finishes the job.
func releasePod(ctx context.Context, env *cmdEnv, base, name string, stdout io.Writer) error {
	st, pods := env.store, env.pods
	webIDs, ok := pods.RetiredWebIDs(name)
	if !ok {
		if _, live := pods.Owner(name); live {
			return fmt.Errorf("pod: %s belongs to an existing account; only a deleted account's pod name can be released", name)
		}
		return fmt.Errorf("%w: %s", idp.ErrNotRetired, name)
	}
	loc, err := ldp.NewLocator(base, pods.Subdomain)
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
	if err := env.forgetFederation(ctx, name); err != nil {
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

// parsePodLock is naamio pod lock|unlock NAME: the pod's ActivityPub
// account setting (federation.Settings.Locked, manuallyApprovesFollowers).
func parsePodLock(lock bool) func(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	return func(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, podUsage)
			return nil, errors.New("pod: one NAME expected")
		}
		name := fs.Arg(0)
		return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
			if _, ok := env.pods.Owner(name); !ok {
				return fmt.Errorf("pod: no pod %q", name)
			}
			records, err := env.store.KV(kv.Federation)
			if err != nil {
				return err
			}
			set, err := federation.LoadSettings(ctx, records, name)
			if err != nil {
				return err
			}
			set.Locked = lock
			if err := federation.SaveSettings(ctx, records, name, set); err != nil {
				return err
			}
			if set.Locked {
				_, err = fmt.Fprintf(stdout, "locked %s: Follow requests now wait for the owner's approval\n", name)
			} else {
				_, err = fmt.Fprintf(stdout, "unlocked %s: Follow requests are accepted at once\n", name)
			}
			return err
		}, nil
	}
}

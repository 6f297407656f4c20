package pod

import (
	"context"
	"errors"
	"fmt"

	"github.com/naamio/naamio/ldp"
)

// maxConflicts bounds how often Delete finds a container it emptied
// refilled (someone writing into the pod while it is being removed)
// before it gives up with ldp.ErrConflict.
const maxConflicts = 16

// Delete removes every resource of pod name, deepest first, each with its
// auxiliary resources (.acl, .meta), the pod root's own last. It holds one
// container listing at a time, and a failed or interrupted Delete can
// simply be called again: it continues with what is left. Resources keep
// their ACLs until they are gone, so nothing is exposed on the way. A pod
// that does not exist is an error matching ldp.ErrNotFound (a retry after
// success can treat it as done).
func Delete(ctx context.Context, store ldp.Store, baseURL, name string) error {
	return deletePod(ctx, store, PathLayout{}, baseURL, name)
}

func deletePod(ctx context.Context, store ldp.Store, layout Layout, baseURL, name string) error {
	if err := checkSyntax(name); err != nil {
		return err
	}
	base, err := normalizeBase(baseURL)
	if err != nil {
		return err
	}
	rootPath, _ := layout.Root(base, name)
	ok, err := store.Exists(ctx, rootPath)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("pod %s: %w", name, ldp.ErrNotFound)
	}
	return deleteTree(ctx, store, rootPath)
}

// deleteTree removes container root and everything in it. It walks down
// to the first container that has no subcontainer, deletes its documents
// and then itself, and goes back up to its parent, which it lists again.
func deleteTree(ctx context.Context, store ldp.Store, root string) error {
	conflicts := 0
	for cur := root; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		kids, err := store.Children(ctx, cur)
		if errors.Is(err, ldp.ErrNotFound) {
			kids, err = nil, nil
		}
		if err != nil {
			return err
		}
		sub := ""
		for _, k := range kids {
			if k.IsContainer() {
				if sub == "" {
					sub = k.Path
				}
				continue
			}
			if err := deleteOne(ctx, store, k.Path); err != nil {
				return err
			}
		}
		if sub != "" {
			cur = sub
			continue
		}
		err = deleteOne(ctx, store, cur)
		if errors.Is(err, ldp.ErrConflict) {
			// Written to since it was listed: list it again.
			if conflicts++; conflicts > maxConflicts {
				return fmt.Errorf("pod: %s keeps being written to: %w", cur, err)
			}
			continue
		}
		if err != nil {
			return err
		}
		if cur == root {
			return nil
		}
		cur = ldp.Parent(cur)
	}
}

// deleteOne removes p with its auxiliary resources; already gone is fine.
func deleteOne(ctx context.Context, store ldp.Store, p string) error {
	err := store.Delete(ctx, ldp.DeleteRequest{Path: p, Aux: ldp.AuxPaths(p), Origin: Origin})
	if err != nil && !errors.Is(err, ldp.ErrNotFound) {
		return fmt.Errorf("pod: deleting %s: %w", p, err)
	}
	return nil
}

package server

import (
	"sync/atomic"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// derivedCaches forwards the change log to the caches derived from stored
// data: effective ACLs and local agentGroup documents. The store calls
// changed after each commit and before acknowledging its writes
// (badgerstore.Options.OnCommit), so no request that follows an
// acknowledged write is decided on the state before it.
type derivedCaches struct {
	v atomic.Pointer[cacheSet]
}

type cacheSet struct {
	loc      *ldp.Locator // paths to the IRIs groups are cached by
	resolver *acl.Resolver
	groups   *acl.Groups
}

func (d *derivedCaches) set(loc *ldp.Locator, r *acl.Resolver, g *acl.Groups) {
	d.v.Store(&cacheSet{loc: loc, resolver: r, groups: g})
}

func (d *derivedCaches) changed(cs []event.Change) {
	set := d.v.Load()
	if set == nil {
		return // first start: nothing cached yet
	}
	for _, c := range cs {
		set.resolver.Invalidate(c.Path)
		if set.groups != nil {
			set.groups.Invalidate(set.loc.IRI(c.Path))
		}
	}
}

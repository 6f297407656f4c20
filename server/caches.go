package server

import (
	"strings"
	"sync/atomic"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/event"
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
	base     string // public base URL without its trailing slash
	resolver *acl.Resolver
	groups   *acl.Groups
}

func (d *derivedCaches) set(baseURL string, r *acl.Resolver, g *acl.Groups) {
	d.v.Store(&cacheSet{base: strings.TrimSuffix(baseURL, "/"), resolver: r, groups: g})
}

func (d *derivedCaches) changed(cs []event.Change) {
	set := d.v.Load()
	if set == nil {
		return // first start: nothing cached yet
	}
	for _, c := range cs {
		set.resolver.Invalidate(c.Path)
		if set.groups != nil {
			set.groups.Invalidate(set.base + c.Path)
		}
	}
}

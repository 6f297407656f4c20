// Package idp ties the identity provider's parts together: accounts
// (idp/account), pods (idp/pod) and the registry of which account owns which
// pod, which the LDP handler asks whether a container is a storage root.
package idp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp"
)

// Pods knows every pod of this server: which account owns it and
// its WebID. It is kept in the "p" KV namespace (key pod/<name>) and in
// memory, because the LDP handler asks it on every response whether a
// container is a storage root (ldp.Config.StorageRoot).
type Pods struct {
	kv ldp.KV

	mu   sync.RWMutex
	pods map[string]podRecord // by root path "/<name>/"
}

type podRecord struct {
	V       int    `json:"v"`
	Name    string `json:"name"`
	Account string `json:"account"`
	WebID   string `json:"webid"`
	// Subdomain: the pod is served on a host of its own
	// (pod.SubdomainLayout). Fixed when the pod is made.
	Subdomain bool `json:"subdomain,omitempty"`
}

const podKeyPrefix = "pod/"

// LoadPods reads the registry from its KV namespace.
func LoadPods(ctx context.Context, kv ldp.KV) (*Pods, error) {
	r := &Pods{kv: kv, pods: map[string]podRecord{}}
	err := kv.List(ctx, podKeyPrefix, func(key string, value []byte) error {
		var rec podRecord
		if err := json.Unmarshal(value, &rec); err != nil || rec.V != 1 || rec.Name == "" {
			return fmt.Errorf("pod registry: unreadable record %s", key)
		}
		r.pods["/"+rec.Name+"/"] = rec
		return nil
	})
	return r, err
}

// IsRoot reports whether p is the root container of a pod
// (ldp.Config.StorageRoot).
func (r *Pods) IsRoot(p string) bool {
	r.mu.RLock()
	_, ok := r.pods[p]
	r.mu.RUnlock()
	return ok
}

// Subdomain reports whether pod name is served on a host of its own
// (ldp.NewLocator's question; answered from memory).
func (r *Pods) Subdomain(name string) bool {
	r.mu.RLock()
	rec, ok := r.pods["/"+name+"/"]
	r.mu.RUnlock()
	return ok && rec.Subdomain
}

// Layout returns where pod name is placed.
func (r *Pods) Layout(name string) pod.Layout { return pod.LayoutFor(r.Subdomain(name)) }

// Add records a pod; subdomain says it is served on a host of its own.
func (r *Pods) Add(ctx context.Context, name, account, webID string, subdomain bool) error {
	rec := podRecord{V: 1, Name: name, Account: account, WebID: webID, Subdomain: subdomain}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := r.kv.Put(ctx, podKeyPrefix+name, b, 0); err != nil {
		return err
	}
	r.mu.Lock()
	r.pods["/"+name+"/"] = rec
	r.mu.Unlock()
	return nil
}

// Remove forgets a pod.
func (r *Pods) Remove(ctx context.Context, name string) error {
	if err := r.kv.Delete(ctx, podKeyPrefix+name); err != nil {
		return err
	}
	r.mu.Lock()
	delete(r.pods, "/"+name+"/")
	r.mu.Unlock()
	return nil
}

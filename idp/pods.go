// Package idp ties the identity provider's parts together: accounts
// (idp/account), pods (idp/pod) and the registry of which account owns which
// pod, which the LDP handler asks whether a container is a storage root.
package idp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/kv"
)

// ErrNameRetired: the pod name belonged to a deleted account. It stays
// reserved so that its WebID never changes hands (SECURITY.md row 57);
// only an administrator frees it again (naamio pod release).
var ErrNameRetired = errors.New("idp: this pod name belonged to a deleted account and stays reserved")

// ErrNotOwner: the pod belongs to another account.
var ErrNotOwner = errors.New("idp: the pod belongs to another account")

// ErrNotRetired: Release was asked for a name that is not reserved.
var ErrNotRetired = errors.New("idp: no deleted pod has this name")

// Pods knows every pod of this server: which account owns it and
// its WebID. It is kept in the kv.Pods namespace (key pod/<name>) and in
// memory, because the LDP handler asks it on every response whether a
// container is a storage root (ldp.Config.StorageRoot). It also keeps the
// names of deleted pods (key gone/<name>, a tombstone with the WebIDs the
// pod held), which are never handed out again until released.
type Pods struct {
	kv kv.KV

	mu   sync.RWMutex
	pods map[string]podRecord  // by root path "/<name>/"
	gone map[string]tombRecord // by name
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

// tombRecord is a deleted pod's name, kept so that it is not given out
// again with its old WebIDs (which other pods' ACLs may still name).
type tombRecord struct {
	V         int       `json:"v"`
	Name      string    `json:"name"`
	Account   string    `json:"account,omitempty"`
	WebIDs    []string  `json:"webids,omitempty"`
	Subdomain bool      `json:"subdomain,omitempty"`
	Deleted   time.Time `json:"deleted"`
}

const (
	podKeyPrefix  = "pod/"
	goneKeyPrefix = "gone/"
)

// LoadPods reads the registry from its KV namespace.
func LoadPods(ctx context.Context, records kv.KV) (*Pods, error) {
	r := &Pods{kv: records, pods: map[string]podRecord{}, gone: map[string]tombRecord{}}
	err := records.List(ctx, podKeyPrefix, func(key string, value []byte) error {
		var rec podRecord
		if err := json.Unmarshal(value, &rec); err != nil || rec.V != 1 || rec.Name == "" {
			return fmt.Errorf("pod registry: unreadable record %s", key)
		}
		r.pods["/"+rec.Name+"/"] = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = records.List(ctx, goneKeyPrefix, func(key string, value []byte) error {
		var rec tombRecord
		if err := json.Unmarshal(value, &rec); err != nil || rec.V != 1 || rec.Name == "" {
			return fmt.Errorf("pod registry: unreadable record %s", key)
		}
		r.gone[rec.Name] = rec
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

// Retired reports whether name belonged to a deleted pod and is still
// reserved (ErrNameRetired for a new pod).
func (r *Pods) Retired(name string) bool {
	r.mu.RLock()
	_, ok := r.gone[name]
	r.mu.RUnlock()
	return ok
}

// RetiredWebIDs returns the WebIDs the deleted pod name held, and whether
// the name is reserved.
func (r *Pods) RetiredWebIDs(name string) ([]string, bool) {
	r.mu.RLock()
	rec, ok := r.gone[name]
	r.mu.RUnlock()
	return slices.Clone(rec.WebIDs), ok
}

// Add records a pod; subdomain says it is served on a host of its own.
// A retired name (ErrNameRetired) or one in the registry already
// (pod.ErrExists) is refused, in the same transaction that records it.
func (r *Pods) Add(ctx context.Context, name, account, webID string, subdomain bool) error {
	rec := podRecord{V: 1, Name: name, Account: account, WebID: webID, Subdomain: subdomain}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	err = r.kv.Update(ctx, func(tx kv.Txn) error {
		if _, err := tx.Get(goneKeyPrefix + name); err == nil {
			return fmt.Errorf("%w: %s", ErrNameRetired, name)
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if _, err := tx.Get(podKeyPrefix + name); err == nil {
			return fmt.Errorf("%w: %s", pod.ErrExists, name)
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		return tx.Set(podKeyPrefix+name, b, 0)
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.pods["/"+name+"/"] = rec
	r.mu.Unlock()
	return nil
}

// Remove forgets a pod that was never handed out (a sign-up rolled back):
// its name is free again at once. A deleted account's pods are Retired.
func (r *Pods) Remove(ctx context.Context, name string) error {
	if err := r.kv.Delete(ctx, podKeyPrefix+name); err != nil {
		return err
	}
	r.mu.Lock()
	delete(r.pods, "/"+name+"/")
	r.mu.Unlock()
	return nil
}

// Count is the number of pods (NodeInfo's usage.users.total).
func (r *Pods) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.pods)
}

// Owner returns the account that owns pod name, if the pod exists.
func (r *Pods) Owner(name string) (string, bool) {
	r.mu.RLock()
	rec, ok := r.pods["/"+name+"/"]
	r.mu.RUnlock()
	return rec.Account, ok
}

// OwnerWebID returns the WebID pod name was made for, if the pod exists.
func (r *Pods) OwnerWebID(name string) (string, bool) {
	r.mu.RLock()
	rec, ok := r.pods["/"+name+"/"]
	r.mu.RUnlock()
	return rec.WebID, ok
}

// Retire replaces the record of pod name, owned by account, by a tombstone
// that keeps the name reserved, with the WebIDs it held: the registry's
// own and webIDs (the account's WebIDs in the pod, for a record already
// gone). Retiring a retired name again only adds webIDs it did not have;
// a pod of another account is left alone (ErrNotOwner).
func (r *Pods) Retire(ctx context.Context, name, account string, webIDs []string, now time.Time) error {
	var tomb tombRecord
	var was podRecord
	err := r.kv.Update(ctx, func(tx kv.Txn) error {
		tomb, was = tombRecord{V: 1, Name: name, Deleted: now.UTC()}, podRecord{}
		if b, err := tx.Get(goneKeyPrefix + name); err == nil {
			if err := json.Unmarshal(b, &tomb); err != nil {
				return fmt.Errorf("pod registry: unreadable record %s%s", goneKeyPrefix, name)
			}
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if b, err := tx.Get(podKeyPrefix + name); err == nil {
			if err := json.Unmarshal(b, &was); err != nil {
				return fmt.Errorf("pod registry: unreadable record %s%s", podKeyPrefix, name)
			}
			if was.Account != account {
				return ErrNotOwner
			}
			tomb.Account, tomb.Subdomain = was.Account, was.Subdomain
			tomb.WebIDs = addUnique(tomb.WebIDs, was.WebID)
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if tomb.Account == "" {
			tomb.Account = account
		}
		tomb.WebIDs = addUnique(tomb.WebIDs, webIDs...)
		b, err := json.Marshal(tomb)
		if err != nil {
			return err
		}
		if err := tx.Set(goneKeyPrefix+name, b, 0); err != nil {
			return err
		}
		return tx.Delete(podKeyPrefix + name)
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	delete(r.pods, "/"+name+"/")
	r.gone[name] = tomb
	r.mu.Unlock()
	return nil
}

// Release frees a retired name (the administrator's naamio pod release,
// after the old WebIDs were removed from the ACLs) and returns the WebIDs
// it held. ErrNotRetired if the name is not reserved.
func (r *Pods) Release(ctx context.Context, name string) ([]string, error) {
	var tomb tombRecord
	err := r.kv.Update(ctx, func(tx kv.Txn) error {
		b, err := tx.Get(goneKeyPrefix + name)
		if errors.Is(err, kv.ErrNotFound) {
			return ErrNotRetired
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &tomb); err != nil {
			return fmt.Errorf("pod registry: unreadable record %s%s", goneKeyPrefix, name)
		}
		return tx.Delete(goneKeyPrefix + name)
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	delete(r.gone, name)
	r.mu.Unlock()
	return tomb.WebIDs, nil
}

func addUnique(list []string, more ...string) []string {
	for _, s := range more {
		if s != "" && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// Per-pod storage quotas (issue 16 item 6). The server-wide --quota caps
// the whole store; --pod-quota-default caps each pod (its root container
// and everything under it) unless an administrator gave the pod a quota of
// its own with `naamio pod quota NAME SIZE`. The pods' own quotas are kept
// in the store (kv.Quotas: pod name → decimal bytes, 0 for no quota), so
// they survive restarts and backups; the default is configuration. A write
// that would take a pod over its quota is refused with 507 like one over
// the server's (ldp.ErrQuotaExceeded); the pod's storage description
// states its quota and usage (ldp.PodUsageReporter).

const podQuotaUsage = `  naamio pod quota [--data DIR] NAME [SIZE|default]
      show NAME's storage quota and usage, or set it: SIZE like 500MiB,
      2GB or 1000000 bytes (0: no quota for this pod), "default" to
      follow --pod-quota-default again. Takes effect on the running
      server at once; writes that would pass it get 507.
`

// parseQuotaSize reads a quota size: a byte count with an optional unit
// (humanize: 10MB, 10MiB, 1000). Negative, signed, overflowing and
// garbage sizes are refused.
func parseQuotaSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") || len(t) > 32 {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	v, err := humanize.ParseBytes(t)
	if err != nil {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// loadPodQuotas gives the store the default pod quota and every pod's own.
func loadPodQuotas(ctx context.Context, st *badgerstore.Store, def int64) error {
	records, err := st.KV(kv.Quotas)
	if err != nil {
		return err
	}
	own := map[string]int64{}
	err = records.List(ctx, "", func(key string, value []byte) error {
		q, err := strconv.ParseInt(string(value), 10, 64)
		if err != nil || q < 0 || pod.ValidName(key) != nil {
			return fmt.Errorf("quota record %q: bad value", key)
		}
		own[key] = q
		return nil
	})
	if err != nil {
		return err
	}
	return st.SetPodQuotas(def, own)
}

// parsePodQuota is naamio pod quota NAME [SIZE|default].
func parsePodQuota(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fmt.Fprint(stderr, podUsage)
		return nil, errors.New("pod quota: NAME and an optional SIZE or default expected")
	}
	name := fs.Arg(0)
	if err := pod.ValidName(name); err != nil {
		return nil, err
	}
	set, reset := false, false
	var size int64
	if fs.NArg() == 2 {
		set = true
		if fs.Arg(1) == "default" {
			reset = true
		} else {
			n, err := parseQuotaSize(fs.Arg(1))
			if err != nil {
				return nil, fmt.Errorf("pod quota: %w", err)
			}
			size = n
		}
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
		records, err := env.store.KV(kv.Quotas)
		if err != nil {
			return err
		}
		if set {
			if reset {
				err = records.Delete(ctx, name)
				if errors.Is(err, kv.ErrNotFound) {
					err = nil
				}
			} else {
				err = records.Put(ctx, name, []byte(strconv.FormatInt(size, 10)), 0)
			}
			if err != nil {
				return err
			}
			if env.running {
				// The running server's store applies it from the next write.
				q := size
				if reset {
					q = -1
				}
				if err := env.store.SetPodQuota(name, q); err != nil {
					return err
				}
			}
		}
		return printPodQuota(ctx, env, records, name, stdout)
	}, nil
}

// printPodQuota prints pod's quota (its own or the default) and usage.
func printPodQuota(ctx context.Context, env *cmdEnv, records kv.KV, name string, stdout io.Writer) error {
	own := "default"
	if _, err := records.Get(ctx, name); err == nil {
		own = "own"
	} else if !errors.Is(err, kv.ErrNotFound) {
		return err
	}
	if !env.running {
		// Offline the store was opened without the server's default:
		// only the pod's own quota is known here.
		if err := loadPodQuotas(ctx, env.store, 0); err != nil {
			return err
		}
	}
	u := env.store.PodUsage(name)
	quota := "none"
	if u.Quota > 0 {
		quota = strconv.FormatInt(u.Quota, 10) + " bytes (" + humanize.IBytes(uint64(u.Quota)) + ")"
	} else if own == "default" && !env.running {
		quota = "--pod-quota-default of the server"
	}
	fmt.Fprintf(stdout, "pod %s: quota %s [%s], used %d bytes (%s)\n", name, quota, own, u.Used, humanize.IBytes(uint64(u.Used)))
	return nil
}

// podQuotaValue is the flag.Value of --pod-quota-default: a size read by
// parseQuotaSize (no negative or overflowing sizes).
type podQuotaValue struct{ n *int64 }

func (v podQuotaValue) String() string {
	if v.n == nil {
		return ""
	}
	return humanize.IBytes(uint64(*v.n))
}

func (v podQuotaValue) Set(s string) error {
	n, err := parseQuotaSize(s)
	if err != nil {
		return err
	}
	*v.n = n
	return nil
}

package server

import (
	"runtime/debug"
	"sync/atomic"
)

// socketMemoryShare is what the soft memory limit grows by for each open
// notification socket. An idle socket takes about 10 KiB of live heap and
// stack (notify.BenchmarkIdleSocket) and 14 KiB of the runtime's memory;
// the rest is room for garbage, so that the collector, whose every cycle
// now also marks the sockets' objects and stacks, does not run more often
// than without them. Without any share, 10,000 open sockets took the
// heap past the default 64 MiB limit and the collector ran all the time:
// PUT throughput fell by 90% and the p99 notification latency rose from
// 36 ms to 1.2 s. With 16 KiB the collector still took 29% of the CPU
// under PUT load (profile), with 32 KiB 10%, but the VmRSS per idle
// channel neared 20 KiB (docs/performance.md, issue 12 item 5).
const socketMemoryShare = 24 << 10

// appliedMemoryLimit is the limit applyMemoryLimit set (0: none, or
// GOMEMLIMIT's, which is left alone).
var appliedMemoryLimit atomic.Int64

// growMemoryLimit sets the soft memory limit to the configured one plus
// socketMemoryShare for each of open sockets.
func growMemoryLimit(open int64) {
	if base := appliedMemoryLimit.Load(); base > 0 {
		debug.SetMemoryLimit(base + open*socketMemoryShare)
	}
}

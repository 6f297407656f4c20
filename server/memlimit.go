package server

import (
	"runtime/debug"
	"sync/atomic"
)

// socketMemoryShare is what the soft memory limit grows by for each open
// notification socket: an idle one holds about 10 KiB of heap and stack
// (notify.BenchmarkIdleSocket, bench/notify.sh), plus room for the
// collector. Without it 10,000 open sockets took the live heap past the
// default 64 MiB limit and the collector ran all the time: PUT
// throughput fell by 90% and notification latency rose from 36 ms to
// 1.2 s at the 99th percentile (docs/performance.md, issue 12 item 5).
const socketMemoryShare = 16 << 10

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

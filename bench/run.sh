#!/usr/bin/env bash
# Build Naamio, start it on a free loopback port with a fresh data directory,
# run every load scenario with the Go load generator (bench/load), print a
# Markdown table, and stop the server. When Debian's wrk is installed, the two
# GET scenarios are also measured with wrk (a lighter C client).
#
#   bench/run.sh                                  # 64 connections, 10 s per timed scenario
#   DUR=5s CONNS=32 RSS_COUNT=20000 bench/run.sh  # smaller run
#   WRK=0 bench/run.sh                            # skip wrk even if installed
#   SCENARIOS="patch big" bench/run.sh            # only some scenarios
#   BIG_SIZE=268435456 bench/run.sh               # smaller body for the big scenario (bytes)
set -euo pipefail

DUR=${DUR:-10s}
CONNS=${CONNS:-64}
CHILDREN=${CHILDREN:-1000}
RSS_COUNT=${RSS_COUNT:-100000}
WRK=${WRK:-1}
SCENARIOS=${SCENARIOS:-get put list rss patch big}
PATCH_TRIPLES=${PATCH_TRIPLES:-100}
BIG_SIZE=${BIG_SIZE:-1073741824}
BIG_TIMEOUT=${BIG_TIMEOUT:-5m}

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/naamio-bench.XXXXXX")
pid=""
cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building…" >&2
(cd "$root" && go build -o "$tmp/naamio" . && go build -o "$tmp/load" ./bench/load)

# start runs a fresh server (own port and data directory) for one scenario,
# so one scenario's data does not shape the next one's numbers.
start() {
	local name=$1 port
	port=$("$tmp/load" -free-port)
	base="http://127.0.0.1:$port/"
	mkdir -p "$tmp/$name"
	"$tmp/naamio" serve --listen "127.0.0.1:$port" --base-url "$base" \
		--data "$tmp/$name/data" --log-format text >"$tmp/$name/server.log" 2>&1 &
	pid=$!
	"$tmp/load" -target "$base" -wait-health 30s
}

stop() {
	kill -TERM "$pid"
	wait "$pid" || true
	pid=""
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
header=""
for scenario in $SCENARIOS; do
	echo "scenario $scenario…" >&2
	start "$scenario"
	out=$("$tmp/load" -target "$base" -scenario "$scenario" -c "$CONNS" -d "$DUR" \
		-children "$CHILDREN" -rss-count "$RSS_COUNT" -pid "$pid" -format md \
		-patch-triples "$PATCH_TRIPLES" -big-size "$BIG_SIZE" -big-timeout "$BIG_TIMEOUT")
	header=$(printf '%s\n' "$out" | head -n 2)
	rows+=("$(printf '%s\n' "$out" | tail -n +3)")
	stop
	rm -rf "$tmp/$scenario/data" # the big scenario leaves a large value log
done

echo
echo "Naamio load test, $(date -u +%Y-%m-%dT%H:%MZ): $DUR per timed scenario; $(nproc) CPUs shared by client and server;"
echo "load average before: $load_start, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the host skews the numbers)"
echo
printf '%s\n' "$header"
printf '%s\n' "${rows[@]}"

if [[ "$WRK" == 1 && " $SCENARIOS " == *" get "* ]] && command -v wrk >/dev/null 2>&1; then
	echo "scenario wrk…" >&2
	start wrk
	mapfile -t urls < <("$tmp/load" -target "$base" -prepare wrk -c "$CONNS" -children "$CHILDREN")
	echo
	echo "wrk, $CONNS connections, 2 threads, $DUR each:"
	echo
	echo "| scenario | req/s | p50 | p99 | max | non-2xx |"
	echo "|---|---:|---:|---:|---:|---:|"
	names=("GET small Turtle" "GET container, $CHILDREN children")
	for i in 0 1; do
		wrk -t2 -c "$CONNS" -d "$DUR" --latency -H 'Accept: text/turtle' "${urls[$i]}" >"$tmp/wrk.$i" 2>&1 || true
		awk -v name="${names[$i]}" '
			/^ +Latency/ && !lat { max = $4; lat = 1 }
			/^ +50%/ { p50 = $2 }
			/^ +99%/ { p99 = $2 }
			/^Requests\/sec:/ { rps = $2 }
			/Non-2xx or 3xx responses:/ { bad = $NF }
			END { printf "| %s | %s | %s | %s | %s | %s |\n", name, rps, p50, p99, max, (bad == "" ? 0 : bad) }
		' "$tmp/wrk.$i"
	done
	stop
fi

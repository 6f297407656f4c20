#!/usr/bin/env bash
# Build Naamio, start it on a free loopback port with a fresh data directory,
# run every load scenario with the Go load generator (bench/load), print a
# Markdown table, and stop the server. When Debian's wrk is installed, the two
# GET scenarios are also measured with wrk (a lighter C client).
#
# Access control: every resource is private unless an ACL grants access, so
# the load tool runs a test Solid-OIDC issuer on a fixed free port (its
# signing key kept in one file, so its JWKS is the same in every run) and the
# server is started with that issuer's "owner" as --owner-webid and the
# issuer's address as --allow-fetch-addr. The get, put, list, rss, patch and
# big scenarios sign every request as the owner; pubget reads a public-read
# resource anonymously; authget reads a private one with proofs made before
# its timed window. wrk cannot sign: its fixtures are made public-read.
#
#   bench/run.sh                                  # 64 connections, 10 s per timed scenario
#   DUR=5s CONNS=32 RSS_COUNT=20000 bench/run.sh  # smaller run
#   WRK=0 bench/run.sh                            # skip wrk even if installed
#   SCENARIOS="get pubget authget" bench/run.sh   # only some scenarios
#   BIG_SIZE=268435456 bench/run.sh               # smaller body for the big scenario (bytes)
#   BASELINE_REV=<commit> bench/run.sh            # also build <commit> (a server without access
#                                                 # control, via git archive) and measure its
#                                                 # anonymous GET first: pubget's 20% reference
#   PRESIGN=1 bench/run.sh                        # get, put, list, patch: proofs made before the timed
#                                                 # window (server cost) instead of signing each request
#                                                 # as it is sent (client ECDSA on the same cores)
#   AUTH=0 bench/run.sh                           # a server without access control (older builds)
#   IDLE_WAIT=0 bench/run.sh                      # do not wait for an idle host before each scenario
#
# Each row's note says how much CPU other processes used during its timed
# window; on a shared machine, rerun the rows where that is not near 0%.
set -euo pipefail

DUR=${DUR:-10s}
CONNS=${CONNS:-64}
CHILDREN=${CHILDREN:-1000}
RSS_COUNT=${RSS_COUNT:-100000}
WRK=${WRK:-1}
SCENARIOS=${SCENARIOS:-get pubget authget put list rss patch big}
PATCH_TRIPLES=${PATCH_TRIPLES:-100}
BIG_SIZE=${BIG_SIZE:-1073741824}
BIG_TIMEOUT=${BIG_TIMEOUT:-5m}
AUTH=${AUTH:-1}
BASELINE_REV=${BASELINE_REV:-}
PUB_BASELINE=${PUB_BASELINE:-0} # req/s of the GET without access control, if known
PRESIGN=${PRESIGN:-0}
IDLE_WAIT=${IDLE_WAIT:-180} # seconds to wait for the host to be idle (≥ 90%) before each scenario

. "$(dirname "$0")/lib.sh"
bench_setup bench

echo "building…" >&2
build_naamio "" "$tmp/naamio"
(cd "$root" && go build -o "$tmp/load" ./bench/load)
if [[ -n "$BASELINE_REV" ]]; then
	build_naamio "$BASELINE_REV" "$tmp/naamio-baseline"
fi

# The test issuer: one address and one key for the whole run.
auth_serve=()
auth_load=()
if [[ "$AUTH" == 1 ]]; then
	issuer="127.0.0.1:$("$tmp/load" -free-port)"
	auth_serve=(--owner-webid "http://$issuer/owner/profile/card#me" --allow-fetch-addr "$issuer")
	auth_load=(-issuer "$issuer" -issuer-key "$tmp/issuer-key.pem")
fi
presign=()
if [[ "$AUTH" == 1 && "$PRESIGN" == 1 ]]; then
	presign=(-presign)
fi

# start runs a fresh server (own port and data directory) for one scenario,
# so one scenario's data does not shape the next one's numbers.
# start_baseline does the same with the BASELINE_REV build, without access control.
start() {
	local name=$1 port
	port=$("$tmp/load" -free-port)
	base="http://127.0.0.1:$port/"
	mkdir -p "$tmp/$name"
	"$tmp/naamio" serve --listen "127.0.0.1:$port" --base-url "$base" \
		--data "$tmp/$name/data" --log-format text "${auth_serve[@]}" >"$tmp/$name/server.log" 2>&1 &
	pid=$!
	"$tmp/load" -target "$base" -wait-health 30s || { tail -n 20 "$tmp/$name/server.log" >&2; return 1; }
}

start_baseline() {
	local port
	port=$("$tmp/load" -free-port)
	base="http://127.0.0.1:$port/"
	mkdir -p "$tmp/baseline"
	"$tmp/naamio-baseline" serve --listen "127.0.0.1:$port" --base-url "$base" \
		--data "$tmp/baseline/data" --log-format text >"$tmp/baseline/server.log" 2>&1 &
	pid=$!
	"$tmp/load" -target "$base" -wait-health 30s
}

# wait_idle waits, at most IDLE_WAIT seconds, until the CPUs are ≥ 90% idle
# over 3 s (other work on a shared machine skews the numbers).
wait_idle() {
	local end=$((SECONDS + IDLE_WAIT)) a b
	while ((SECONDS < end)); do
		a=($(head -n 1 /proc/stat))
		sleep 3
		b=($(head -n 1 /proc/stat))
		local idle=$(((b[4] + b[5]) - (a[4] + a[5]))) total=0 i
		for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
		if ((total > 0 && idle * 100 >= total * 90)); then return 0; fi
		echo "host busy ($((100 - idle * 100 / (total > 0 ? total : 1)))% CPU), waiting…" >&2
	done
	echo "host still busy after ${IDLE_WAIT}s; measuring anyway" >&2
}

stop() {
	kill -TERM "$pid"
	wait "$pid" || true
	pid=""
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
header=""
if [[ -n "$BASELINE_REV" ]]; then
	echo "scenario get on $BASELINE_REV (no access control)…" >&2
	wait_idle
	start_baseline
	out=$("$tmp/load" -target "$base" -scenario get -c "$CONNS" -d "$DUR" -pid "$pid" -format md)
	stop
	rm -rf "$tmp/baseline/data"
	header=$(printf '%s\n' "$out" | head -n 2)
	row=$(printf '%s\n' "$out" | tail -n +3)
	rows+=("${row/| GET small Turtle |/| GET small Turtle, $BASELINE_REV without access control (anonymous) |}")
	PUB_BASELINE=$(printf '%s\n' "$row" | awk -F'|' '{ gsub(/ /, "", $6); print $6 }')
fi
for scenario in $SCENARIOS; do
	echo "scenario $scenario…" >&2
	wait_idle
	start "$scenario"
	out=$("$tmp/load" -target "$base" -scenario "$scenario" -c "$CONNS" -d "$DUR" \
		-children "$CHILDREN" -rss-count "$RSS_COUNT" -pid "$pid" -format md \
		-patch-triples "$PATCH_TRIPLES" -big-size "$BIG_SIZE" -big-timeout "$BIG_TIMEOUT" \
		-pub-baseline "$PUB_BASELINE" "${auth_load[@]}" "${presign[@]}")
	header=$(printf '%s\n' "$out" | head -n 2)
	rows+=("$(printf '%s\n' "$out" | tail -n +3)")
	stop
	rm -rf "$tmp/$scenario/data" # the big scenario leaves a large value log
done

echo
signing="no access control"
if [[ "$AUTH" == 1 ]]; then
	signing="owner's requests signed as they are sent"
	[[ "$PRESIGN" == 1 ]] && signing="owner's proofs made before each timed window"
fi
echo "Naamio load test, $(date -u +%Y-%m-%dT%H:%MZ): $DUR per timed scenario, $CONNS connections; $(nproc) CPUs shared by client and server; $signing;"
echo "load average before: $load_start, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the host skews the numbers)"
echo
printf '%s\n' "$header"
printf '%s\n' "${rows[@]}"

if [[ "$WRK" == 1 && " $SCENARIOS " == *" get "* ]] && command -v wrk >/dev/null 2>&1; then
	echo "scenario wrk…" >&2
	wait_idle
	start wrk
	mapfile -t urls < <("$tmp/load" -target "$base" -prepare wrk -c "$CONNS" -children "$CHILDREN" "${auth_load[@]}")
	echo
	echo "wrk, $CONNS connections, 2 threads, $DUR each:"
	echo
	echo "| scenario | req/s | p50 | p99 | max | non-2xx |"
	echo "|---|---:|---:|---:|---:|---:|"
	names=("GET small Turtle" "GET container, $CHILDREN children")
	if [[ "$AUTH" == 1 ]]; then
		names=("GET small Turtle, public-read (anonymous)" "GET container, $CHILDREN children, public-read (anonymous)")
	fi
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

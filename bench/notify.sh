#!/usr/bin/env bash
# Issue 12 item 5: Solid Notifications under load. Builds Naamio and
# bench/notifyload, starts the server on a free loopback port with a fresh
# data directory, and runs notifyload against it: CHANNELS
# WebSocketChannel2023 channels (one socket each) on TOPICS documents,
# RATE writes/s for LAT_DUR, the latency from each write to each
# subscriber's receipt (p50/p99), the server's VmRSS per idle channel, and
# the PUT throughput with no channel and with all of them open. The
# documents' container /n/ lets the public Read and Write (its ACL is set
# with `naamio acl set` before the server starts), so the same anonymous
# requests work against the Community Solid Server, whose default
# configuration lets the public do everything.
#
#   bench/notify.sh                       # Naamio, 10,000 channels, 500 writes/s for 20 s
#   SERVERS="naamio css" bench/notify.sh  # also the Community Solid Server 7.2, single process,
#                                         # memory backend (installed with
#                                         #   npm install --prefix ~/.cache/naamio/css-7.2 @solid/community-server@7.2.0)
#   CHANNELS=2000 RATE=200 bench/notify.sh
#
# Every phase is bounded (notifyload -bound); one server runs at a time.
# The host is shared: before each timed phase notifyload waits (at most
# IDLE_WAIT) for other processes to use under a quarter of a core, and it
# reports what they used.
set -euo pipefail
CHANNELS=${CHANNELS:-10000}
TOPICS=${TOPICS:-1000}
RATE=${RATE:-500}
LAT_DUR=${LAT_DUR:-20s}
THR_DUR=${THR_DUR:-8s}
CONNS=${CONNS:-32}
IDLE_WAIT=${IDLE_WAIT:-30s} # before each timed phase, wait at most this long for the host to be idle
SERVERS=${SERVERS:-naamio}
CSS_DIR=${CSS_DIR:-$HOME/.cache/naamio/css-7.2}
CSS_CONFIG=${CSS_CONFIG:-@css:config/default.json}

# Each socket is a descriptor on both sides.
ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < CHANNELS + 2000)); then
	echo "notify.sh: ulimit -n is $(ulimit -n); $((CHANNELS + 2000)) descriptors are needed" >&2
	exit 1
fi

. "$(dirname "$0")/lib.sh"
bench_setup notify
echo "building…" >&2
build_naamio "" "$tmp/naamio"
(cd "$root" && go build -o "$tmp/notifyload" ./bench/notifyload)

stop_server() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	pid=""
}

load() {
	"$tmp/notifyload" -target "$base" -wait 60s
	"$tmp/notifyload" -target "$base" -pid "$pid" -label "$1" -channels "$CHANNELS" -topics "$TOPICS" \
		-rate "$RATE" -lat-dur "$LAT_DUR" -thr-dur "$THR_DUR" -conns "$CONNS" -idle-wait "$IDLE_WAIT"
}

for server in $SERVERS; do
	port=$("$tmp/notifyload" -free-port)
	base="http://127.0.0.1:$port/"
	case $server in
	naamio)
		mkdir -p "$tmp/data"
		"$tmp/naamio" acl set --data "$tmp/data" --base-url "$base" /n/ <<'ACL' >/dev/null
@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#public> a acl:Authorization ; acl:agentClass foaf:Agent ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write .
ACL
		"$tmp/naamio" serve --listen "127.0.0.1:$port" --base-url "$base" --data "$tmp/data" \
			--owner-webid "https://owner.example/profile/card#me" --log-level warn --log-format text \
			>"$tmp/naamio.log" 2>&1 &
		pid=$!
		load "Naamio $(cd "$root" && git rev-parse --short HEAD)"
		;;
	css)
		server_js="$CSS_DIR/node_modules/@solid/community-server/bin/server.js"
		if [[ ! -f "$server_js" ]]; then
			echo "notify.sh: no Community Solid Server in $CSS_DIR; install it with" >&2
			echo "  npm install --prefix $CSS_DIR @solid/community-server@7.2.0" >&2
			exit 1
		fi
		version=$(node -p "require('$CSS_DIR/node_modules/@solid/community-server/package.json').version")
		node "$server_js" -c "$CSS_CONFIG" -p "$port" -b "$base" -l warn >"$tmp/css.log" 2>&1 &
		pid=$!
		load "Community Solid Server $version"
		;;
	*)
		echo "notify.sh: unknown server $server (naamio or css)" >&2
		exit 1
		;;
	esac
	stop_server
done

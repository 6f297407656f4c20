#!/usr/bin/env bash
# SECURITY row 60 (issue 10 item 8): build Naamio (or REV, via git archive),
# start it on a free loopback port with a fresh data directory, and run
# bench/nobody against it: N connections each send an anonymous PUT with a
# Content-Length and never the body. Bounded: N connections, BOUND for the run.
#
#   bench/nobody.sh                  # the working tree, 200 connections, 20 s bound
#   REV=<commit> bench/nobody.sh     # an older build, for the figure before
set -euo pipefail
N=${N:-200}
BOUND=${BOUND:-20s}
REV=${REV:-}
. "$(dirname "$0")/lib.sh"
bench_setup nobody
build_naamio "$REV" "$tmp/naamio"
(cd "$root" && go build -o "$tmp/nobody" ./bench/nobody && go build -o "$tmp/load" ./bench/load)
port=$("$tmp/load" -free-port)
base="http://127.0.0.1:$port/"
"$tmp/naamio" serve --listen "127.0.0.1:$port" --base-url "$base" --data "$tmp/data" \
	--owner-webid "https://owner.example/profile/card#me" --log-format text >"$tmp/server.log" 2>&1 &
pid=$!
"$tmp/load" -target "$base" -wait-health 30s
"$tmp/nobody" -target "$base" -n "$N" -bound "$BOUND"

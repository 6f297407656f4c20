#!/usr/bin/env bash
# SECURITY row 15 (issue 10 item 7): start a real server on a free loopback
# port with a fresh data directory, send it 20 concurrent worst-case RDF
# bodies and patches (bench/load -scenario rdfmem: max-triples and 10 MiB
# Turtle PUTs, N3 and SPARQL patches with 3-pattern wheres against stored
# 200k-triple documents), 3 each, bounded by 60 s, and print the server's
# peak VmRSS. Requests are signed by the load tool's test Solid-OIDC issuer,
# whose agent owns the server (as in bench/run.sh). Should the server's RSS
# pass 2 GiB (a build without the bounds), the load tool kills it.
#
#   bash bench/rdfmem.sh              # this tree
#   REV=<commit> bash bench/rdfmem.sh # the server built from <commit> (the load tool from this tree)
#   SERVER_FLAGS="--rdf-memory 64MiB" bash bench/rdfmem.sh
set -euo pipefail

REV=${REV:-}
LIMIT=${LIMIT:-60s}
SERVER_FLAGS=${SERVER_FLAGS:-}

. "$(dirname "$0")/lib.sh"
bench_setup rdfmem

echo "building…" >&2
(cd "$root" && go build -o "$tmp/load" ./bench/load)
build_naamio "$REV" "$tmp/naamio"

issuer="127.0.0.1:$("$tmp/load" -free-port)"
port=$("$tmp/load" -free-port)
base="http://127.0.0.1:$port/"
# shellcheck disable=SC2086
"$tmp/naamio" serve --listen "127.0.0.1:$port" --base-url "$base" --data "$tmp/data" --log-format text \
	--owner-webid "http://$issuer/owner/profile/card#me" --allow-fetch-addr "$issuer" $SERVER_FLAGS \
	>"$tmp/server.log" 2>&1 &
pid=$!
"$tmp/load" -target "$base" -wait-health 30s || { tail -n 20 "$tmp/server.log" >&2; exit 1; }
echo "server ${REV:-of this tree} on $base, $(nproc) CPUs shared with the load tool" >&2
"$tmp/load" -target "$base" -scenario rdfmem -pid "$pid" -rdfmem-limit "$LIMIT" \
	-issuer "$issuer" -issuer-key "$tmp/issuer-key.pem"
if ! kill -0 "$pid" 2>/dev/null; then
	echo "the server is gone (killed at the RSS cap, or died):" >&2
	tail -n 20 "$tmp/server.log" >&2
fi

#!/usr/bin/env bash
# The operator's round trips of issue 16, end to end with the built binary,
# as the README documents them, against a server that keeps running and
# serving a write load throughout:
#
#   1. start `naamio serve --metrics-listen`; create an account and import a
#      pod from a file tree laid out as CSS lays one out (admin socket);
#   2. under a PUT load: a full backup, then an incremental one;
#   3. restore both into a new directory, start a second server on it, and
#      compare what both serve (accounts, change log, the pod's export);
#   4. export the pod from the running server, import it into the second
#      (running) server under a new name, export that, compare the trees;
#   5. the metrics page of the loaded server.
#
#   bench/opsdemo.sh                 # 10 s of load per phase, 32 connections
#   DUR=5s CONNS=16 bench/opsdemo.sh
#
# Every step prints the command it runs; the script stops at the first
# failure (set -e). Everything listens on 127.0.0.1 only and is removed at
# exit.
set -euo pipefail

DUR=${DUR:-10s}
CONNS=${CONNS:-32}

. "$(dirname "$0")/lib.sh"
bench_setup opsdemo
pid2=""
trap 'if [[ -n "$pid2" ]]; then kill -TERM "$pid2" 2>/dev/null || true; wait "$pid2" 2>/dev/null || true; fi; bench_cleanup' EXIT

step() { printf '\n### %s\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}

echo "building…" >&2
build_naamio "" "$tmp/naamio"
(cd "$root" && go build -o "$tmp/load" ./bench/load)
n="$tmp/naamio"
export PATH="$tmp:$PATH"

issuer="127.0.0.1:$("$tmp/load" -free-port)"
port=$("$tmp/load" -free-port)
mport=$("$tmp/load" -free-port)
base="http://127.0.0.1:$port/"
data="$tmp/data"
auth_load=(-issuer "$issuer" -issuer-key "$tmp/issuer-key.pem")

step "1. a running server, administered through its admin socket"
printf '$ naamio serve --data %s --listen 127.0.0.1:%s --metrics-listen 127.0.0.1:%s …\n' "$data" "$port" "$mport"
"$n" serve --data "$data" --listen "127.0.0.1:$port" --base-url "$base" --metrics-listen "127.0.0.1:$mport" \
	--log-format text --owner-webid "http://$issuer/owner/profile/card#me" --allow-fetch-addr "$issuer" \
	>"$tmp/server.log" 2>&1 &
pid=$!
"$tmp/load" -target "$base" -wait-health 30s
ls -l "$data/admin.sock" | awk '{print $1, $NF}'
run naamio version
printf '$ printf ... | naamio account create --data %s --email ana@example.org --pod ana\n' "$data"
printf 'a long demo passphrase\n' | naamio account create --data "$data" --email ana@example.org --pod ana
# A pod folder as the Community Solid Server's file backend keeps one.
css="$tmp/css-family"
mkdir -p "$css/photos" "$css/notes"
head -c 300000 /dev/urandom >"$css/photos/beach.jpg"
printf 'milk\neggs\n' >"$css/notes/shopping\$.txt"
printf '@prefix dc: <http://purl.org/dc/terms/>.\n<#it> dc:title "Family notes".\n' >"$css/notes/index\$.ttl"
acl() { # acl FILE [public]: the pod owner's Control, and Read for everyone with "public"
	{
		printf '@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n'
		printf '<#owner> a acl:Authorization; acl:agent <%s>;\n' "$owner"
		printf '  acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n'
		if [[ ${2:-} == public ]]; then
			printf '<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>;\n'
			printf '  acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.\n'
		fi
	} >"$1"
}
owner=http://localhost:3000/family/profile/card#me
acl "$css/.acl"
acl "$css/notes/.acl" public
acl "$css/photos/.acl" public
tar -C "$css" -cf "$tmp/family-from-css.tar" .
run naamio import --data "$data" --email ana@example.org --from http://localhost:3000/family/ family "$tmp/family-from-css.tar"
run curl -sS -o /dev/null -w 'GET %{url_effective} → %{http_code} %{content_type}\n' "${base}family/notes/shopping"
run naamio account list --data "$data"

step "2. backups while the server serves a PUT load ($DUR, $CONNS connections)"
"$tmp/load" -target "$base" -scenario put -c "$CONNS" -d "$DUR" -pid "$pid" -format md "${auth_load[@]}" >"$tmp/load-put.md" &
lpid=$!
sleep 2
run naamio backup --data "$data" -o "$tmp/full"
run naamio backup --data "$data" -o "$tmp/inc-1" --since "$tmp/full"
wait "$lpid"
cat "$tmp/load-put.md"
# An administrator's change between two backups: the notes become private.
owner=${base}family/profile/card#me
acl "$tmp/private.acl"
printf '$ naamio acl set --data %s /family/notes/ < private.acl\n' "$data"
naamio acl set --data "$data" /family/notes/ <"$tmp/private.acl"
run naamio backup --data "$data" -o "$tmp/inc-2" --since "$tmp/inc-1"
ls -l "$tmp/full" "$tmp/inc-1" "$tmp/inc-2" | awk '{print $5, $NF}'

step "3. restore into a new directory and serve it"
run naamio restore --data "$tmp/restored" "$tmp/full" "$tmp/inc-1" "$tmp/inc-2"
run naamio restore --data "$tmp/restored" "$tmp/full" && exit 1 || echo "(refused, as it must be: the directory is not empty)"
port2=$("$tmp/load" -free-port)
base2="http://127.0.0.1:$port2/"
printf '$ naamio serve --data %s --listen 127.0.0.1:%s …\n' "$tmp/restored" "$port2"
"$n" serve --data "$tmp/restored" --listen "127.0.0.1:$port2" --base-url "$base" --log-format text \
	--owner-webid "http://$issuer/owner/profile/card#me" --allow-fetch-addr "$issuer" >"$tmp/server2.log" 2>&1 &
pid2=$!
"$tmp/load" -target "$base2" -wait-health 30s
# The load has ended and nothing writes now: the running server holds the
# state of the last backup.
run naamio account list --data "$tmp/restored"
for d in "$data" "$tmp/restored"; do
	naamio log --data "$d" -o "$tmp/log-$(basename "$d").jsonl"
done
printf 'change log entries: running %s, restored %s\n' "$(wc -l <"$tmp/log-data.jsonl")" "$(wc -l <"$tmp/log-restored.jsonl")"
cmp "$tmp/log-data.jsonl" "$tmp/log-restored.jsonl" && echo "change logs identical"
naamio export --data "$data" -o "$tmp/family-a.tar" family
naamio export --data "$tmp/restored" -o "$tmp/family-b.tar" family
mkdir -p "$tmp/a" "$tmp/b"
tar -C "$tmp/a" -xf "$tmp/family-a.tar"
tar -C "$tmp/b" -xf "$tmp/family-b.tar"
run diff -r "$tmp/a" "$tmp/b" && echo "pod 'family': same files in the running and the restored server"
for p in family/notes/index family/photos/beach.jpg ana/profile/card; do
	a=$(curl -sS -w ' %{http_code}' "$base$p" | sha256sum | cut -c1-16)
	b=$(curl -sS -w ' %{http_code}' -H "Host: 127.0.0.1:$port" "$base2$p" | sha256sum | cut -c1-16)
	printf 'GET /%s  %s  running %s  restored %s\n' "$p" "$(curl -sS -o /dev/null -w '%{http_code}' "$base$p")" "$a" "$b"
	[[ "$a" == "$b" ]]
done

step "4. export a pod from the running server, import it into the other running server"
run naamio export --data "$data" -o "$tmp/family.tar" family
run naamio import --data "$tmp/restored" family2 "$tmp/family.tar"
run naamio export --data "$tmp/restored" -o "$tmp/family2.tar" family2
mkdir -p "$tmp/e1" "$tmp/e2"
tar -C "$tmp/e1" -xf "$tmp/family.tar"
tar -C "$tmp/e2" -xf "$tmp/family2.tar"
# IRIs under the old root were moved to the new one: compare with that
# one difference undone.
grep -rl "${base}family2/" "$tmp/e2" | xargs -r sed -i "s#${base}family2/#${base}family/#g"
run diff -r "$tmp/e1" "$tmp/e2" && echo "every file, ACL and .meta equal after export → import → export"
find "$tmp/e1" -type f | sed "s#$tmp/e1/##" | sort

step "5. the metrics page of the loaded server (GET load, $DUR, while scraping)"
"$tmp/load" -target "$base" -scenario get -c "$CONNS" -d "$DUR" -pid "$pid" -format md "${auth_load[@]}" >"$tmp/load-get.md" &
lpid=$!
sleep 5
curl -sS "http://127.0.0.1:$mport/metrics" >"$tmp/metrics.txt"
wait "$lpid"
cat "$tmp/load-get.md"
grep -E '^naamio_(http_requests_total|store_size_bytes|store_commit_batch_writes_(count|sum)|changelog_|ready|store_read_only|outbound_fetches_total|module_calls_total|federation_delivery_queue|notification_sockets_open)' "$tmp/metrics.txt" |
	grep -v ' 0$' | head -n 40
grep -E '^naamio_http_request_duration_seconds_(bucket\{route="ldp",le="(0.001|0.005|0.025)"\}|count\{route="ldp"\})' "$tmp/metrics.txt"
grep -E '^(go_goroutines|process_resident_memory_bytes) ' "$tmp/metrics.txt"
run curl -sS "${base}.naamio/ready"
echo
echo "server log, admin commands:"
grep -c 'admin command' "$tmp/server.log" | sed 's/^/  admin commands logged: /'

# Sourced by the load scripts in bench/: a fresh temporary directory
# removed on exit, the server process stopped on exit, and one way to build
# the server from this tree or from an older commit.
#
#   bench_setup NAME        sets root (the checkout), tmp and pid ("")
#   build_naamio REV OUT    builds the server from commit REV ("" for this tree) to OUT

bench_setup() {
	root=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/naamio-$1.XXXXXX")
	pid=""
	trap bench_cleanup EXIT
}

# bench_cleanup stops the server (TERM, then KILL after 10 s) and removes tmp.
bench_cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}

build_naamio() {
	local rev=$1 out=$2
	if [[ -z "$rev" ]]; then
		(cd "$root" && go build -o "$out" .)
		return
	fi
	local src="$tmp/src-$rev"
	mkdir -p "$src"
	(cd "$root" && git archive "$rev") | tar -x -C "$src"
	(cd "$src" && go build -o "$out" .)
}

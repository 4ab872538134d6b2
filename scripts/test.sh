#!/usr/bin/env bash
# Runs every Meerkat test, after installing what the tests need on a Debian
# machine with Go: PostgreSQL binaries (for a throwaway cluster when no server
# runs on 127.0.0.1:5432), python3-slixmpp (the interop client), prosody
# (a peer server that mob is tested against), mariadb-server, php-cli,
# php-mysql and wordpress (auth/wordpress and its fixtures), chromium, node
# and the npm packages of test/web (WebSocket, BOSH and demo page tests). Run as
# root or with sudo available. CI=true turns missing prerequisites into
# failures instead of skips.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-10s}"

need_pkgs=()
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import slixmpp' 2>/dev/null || need_pkgs+=(python3-slixmpp)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need_pkgs+=(postgresql)
command -v prosody >/dev/null 2>&1 || need_pkgs+=(prosody)
# Browser tests (test/web): Debian's chromium, driven by playwright-core from npm.
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || need_pkgs+=(npm)
# MariaDB (auth/wordpress tests start a throwaway one when no server runs on
# 127.0.0.1:3306), and WordPress's PHP for its fixture script.
command -v mariadb-install-db >/dev/null 2>&1 && command -v mariadbd >/dev/null 2>&1 || need_pkgs+=(mariadb-server)
command -v php >/dev/null 2>&1 || need_pkgs+=(php-cli)
php -m 2>/dev/null | grep -qx mysqli || need_pkgs+=(php-mysql)
[ -f /usr/share/wordpress/wp-includes/pluggable.php ] || need_pkgs+=(wordpress)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	echo "== installing ${need_pkgs[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# npm packages of the web tests, pinned in test/web/package-lock.json.
if [ ! -f test/web/node_modules/.package-lock.json ] || ! cmp -s test/web/package-lock.json test/web/node_modules/.package-lock.json.ci 2>/dev/null; then
	echo "== npm ci (test/web)"
	(cd test/web && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.package-lock.json.ci)
fi

echo "== go vet"
go vet ./...

echo "== unformatted files"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt wants changes in:"; echo "$unformatted"; exit 1
fi

echo "== go test -race"
go test -race -count=1 -timeout 20m ./...

# fuzz_one runs one fuzz target. Go 1.26's fuzz coordinator can report a bare
# "context deadline exceeded" when -fuzztime ends while a worker is mid-call
# (go.dev/issue/75804, fixed in Go 1.27): no input failed and nothing was
# written to testdata/fuzz. Only that exact outcome is retried, twice; a
# crasher, a panic or any other failure fails the run at once.
fuzz_one() {
	local pkg=$1 target=$2 attempt out rc
	for attempt in 1 2 3; do
		rc=0
		out=$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg" 2>&1) || rc=$?
		printf '%s\n' "$out"
		[ "$rc" -eq 0 ] && return 0
		if printf '%s\n' "$out" | grep -qx '    context deadline exceeded' &&
			! printf '%s\n' "$out" | grep -qE 'Failing input written|panic:'; then
			echo "-- $target: fuzz coordinator deadline race (go.dev/issue/75804), no failing input; retry $attempt"
			continue
		fi
		return "$rc"
	done
	echo "-- $target: deadline race three times in a row; failing"
	return 1
}

echo "== fuzz (${FUZZTIME} each)"
# Every fuzz target in the tree, each for a short time: new crashers fail the run.
go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "-- $pkg $target"
		fuzz_one "$pkg" "$target"
	done
done
echo "== all tests passed"

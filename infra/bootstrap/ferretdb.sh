#!/usr/bin/env bash
# Install FerretDB v1.24.2 (MongoDB wire protocol on SQLite) into <repo>/.venv/bin/ferretdb,
# the server the MongoDB store's tests and the catalog benchmark run against.
#
# Skipped when that binary already reports v1.24.2. Otherwise it is built from source with
# Go (on PATH, or /usr/local/go/bin/go). A plain `go install ...@v1.24.2` is not enough: the
# module lacks the generated build/version/version.txt, and such a binary panics at start,
# so the module is copied, the file written, and the copy built.
#
# Settings (environment):
#   MODELHUB_FERRETDB_VERSION  version to install (default v1.24.2)
#   GO                         the go command (default: `go` on PATH, else /usr/local/go/bin/go)
#
# Build output goes to <repo>/var/log/ferretdb-build.log; one line here.
set -euo pipefail
# an older local Go fetches the toolchain the module asks for from the Go module proxy
export GOTOOLCHAIN=auto

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version="${MODELHUB_FERRETDB_VERSION:-v1.24.2}"
bin_dir="$MODELHUB_REPO_ROOT/.venv/bin"
binary="$bin_dir/ferretdb"
module="github.com/FerretDB/FerretDB"

installed_version() {
    "$binary" --version 2>/dev/null | awk '$1 == "version:" { print $2 }'
}

if [ -x "$binary" ] && [ "$(installed_version)" = "$version" ]; then
    step "ferretdb: skipped ($binary is $version)"
    exit 0
fi

go_cmd="${GO:-}"
if [ -z "$go_cmd" ]; then
    if command -v go >/dev/null 2>&1; then
        go_cmd="$(command -v go)"
    elif [ -x /usr/local/go/bin/go ]; then
        go_cmd=/usr/local/go/bin/go
    else
        die "Go is needed to build FerretDB $version: install it (https://go.dev/dl/) or set GO"
    fi
fi

mkdir -p "$bin_dir" "$MODELHUB_REPO_ROOT/var/log"
log="$MODELHUB_REPO_ROOT/var/log/ferretdb-build.log"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

{
    echo "== $(date -u +%FT%TZ) building $module@$version with $("$go_cmd" version)"
    src="$(cd "$work" && "$go_cmd" mod download -json "$module@$version" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$src" ] && [ -d "$src" ] || { echo "go mod download gave no source directory"; exit 1; }
    cp -R "$src" "$work/src"
    chmod -R u+w "$work/src"
    printf '%s\n' "$version" >"$work/src/build/version/version.txt"
    (cd "$work/src" && "$go_cmd" build -trimpath -buildvcs=false -o "$work/ferretdb" ./cmd/ferretdb)
    mv -f "$work/ferretdb" "$binary"
} >>"$log" 2>&1 || die "building FerretDB $version failed; see $log"

[ "$(installed_version)" = "$version" ] \
    || die "the built $binary does not report $version; see $log"
step "ferretdb: installed $version at $binary (built from source with $go_cmd)"

#!/usr/bin/env bash
# Make `docker compose` (or `docker-compose`) available for `make up` and the compose tests.
#
# 1. `docker compose version` answers already: nothing to do.
# 2. Build the Compose v2 CLI plugin from the Go module proxy (no registry, no GitHub
#    release download needed) and install it as
#    /usr/local/lib/docker/cli-plugins/docker-compose.
# 3. When Go is missing or the build fails: Debian's docker-compose (v1.29.2, apt), which
#    also honours `depends_on: condition: service_healthy`.
#
# Prints the compose command to use on its last line (infra/make/ops.mk reads it).
#
# Settings (environment):
#   MODELHUB_COMPOSE_VERSION  Compose v2 version to build (default v2.32.4)
#   GO                        the go command (default: `go` on PATH, else /usr/local/go/bin/go)
#
# Build output goes to <repo>/var/log/compose-build.log.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version="${MODELHUB_COMPOSE_VERSION:-v2.32.4}"
plugin_dir=/usr/local/lib/docker/cli-plugins
module="github.com/docker/compose/v2"

if docker compose version >/dev/null 2>&1; then
    step "docker compose: skipped ($(docker compose version --short 2>/dev/null || echo present))" >&2
    echo "docker compose"
    exit 0
fi

go_cmd="${GO:-}"
if [ -z "$go_cmd" ]; then
    if command -v go >/dev/null 2>&1; then go_cmd="$(command -v go)"
    elif [ -x /usr/local/go/bin/go ]; then go_cmd=/usr/local/go/bin/go
    fi
fi

if [ -n "$go_cmd" ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$MODELHUB_REPO_ROOT/var/log" "$plugin_dir"
    log="$MODELHUB_REPO_ROOT/var/log/compose-build.log"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    if GOBIN="$work" GOFLAGS=-buildvcs=false "$go_cmd" install -trimpath \
        -ldflags "-s -w -X $module/internal.Version=$version" "$module/cmd@$version" >"$log" 2>&1 \
        && install -m 0755 "$work/cmd" "$plugin_dir/docker-compose" \
        && docker compose version >/dev/null 2>&1; then
        step "docker compose: installed $version at $plugin_dir/docker-compose (built with $go_cmd)" >&2
        echo "docker compose"
        exit 0
    fi
    step "docker compose: building $version failed (see $log); trying Debian's docker-compose" >&2
fi

if ! command -v docker-compose >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "neither docker compose nor docker-compose is installed; installing needs root"
    apt_install docker-compose
    step "docker-compose: installed $(docker-compose version --short) (Debian)" >&2
else
    step "docker-compose: skipped ($(docker-compose version --short))" >&2
fi
echo "docker-compose"

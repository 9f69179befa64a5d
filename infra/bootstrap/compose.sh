#!/usr/bin/env bash
# Make `docker compose` (or `docker-compose`) available for `make up` and the compose tests.
#
# 1. `docker compose version` answers already: nothing to do.
# 2. Build the Compose v2 CLI plugin from the Go module proxy (no registry, no GitHub
#    release download needed) and install it as
#    /usr/local/lib/docker/cli-plugins/docker-compose.
# 3. Otherwise fail: Debian's docker-compose v1.29 cannot run this project's compose file.
#
# Prints the compose command to use on its last line (infra/make/ops.mk reads it).
#
# Settings (environment):
#   MODELHUB_COMPOSE_VERSION  Compose v2 version to build (default v2.32.4)
#   GO                        the go command (default: `go` on PATH, else /usr/local/go/bin/go)
#
# Build output goes to <repo>/var/log/compose-build.log.
set -euo pipefail
# an older local Go fetches the toolchain the module asks for from the Go module proxy
export GOTOOLCHAIN=auto

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
    die "docker compose: building $version failed (see $log)"
fi
# Debian's docker-compose v1.29 cannot run docker-compose.yml (--wait, !override, env_file
# with required:), so there is no fallback to it.
die "docker compose: needs Go (to build Compose $version from the Go module proxy) and root"

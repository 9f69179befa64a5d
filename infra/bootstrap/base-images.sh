#!/usr/bin/env bash
# Build the base images demo images are made FROM; skip the ones already up to date.
#
#   1. modelhub/debian-python:bookworm   debootstrapped Debian + Python (offline; no registry)
#   2. modelhub/streamlit-base:<X.Y>     demo-runtime/base/Dockerfile: venv /opt/venv with the
#                                        pinned Streamlit, user app (uid 1000), WORKDIR /app
#   3. modelhub/streamlit-cuda:<X.Y>     demo-runtime/base/Dockerfile.cuda, only when
#                                        MODELHUB_BUILD_CUDA_BASE=1 (needs a registry)
#
# <X.Y> is the major.minor of the Streamlit pin (ARG STREAMLIT_VERSION in the Dockerfile).
# An image is rebuilt when its label modelhub.base.version differs from a hash of its
# Dockerfile, its base image's ID and the flavour, so editing the pin rebuilds it.
#
# Settings (environment):
#   MODELHUB_CA_BUNDLE        CA bundle pip trusts during the build (default:
#                             /etc/ssl/certs/ca-certificates.crt when it exists; empty: none).
#                             Used only in the install stage; never left in the image.
#   MODELHUB_BASE_FROM        offline (default): FROM modelhub/debian-python:bookworm;
#                             official: FROM python:3.11-slim-bookworm (pulled from a registry).
#   MODELHUB_BUILD_CUDA_BASE  1: also build the CUDA base (default 0).
#
# Build output goes to <repo>/var/log/base-image-*.log; one line per step here.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

base_dir="$MODELHUB_REPO_ROOT/demo-runtime/base"
log_dir="$MODELHUB_REPO_ROOT/var/log"
mkdir -p "$log_dir" "$MODELHUB_REPO_ROOT/var/run"

debian_image="modelhub/debian-python:bookworm"
official_image="python:3.11-slim-bookworm"
base_from="${MODELHUB_BASE_FROM:-offline}"
build_cuda="${MODELHUB_BUILD_CUDA_BASE:-0}"

case "$base_from" in
    offline) streamlit_from="$debian_image" ;;
    official) streamlit_from="$official_image" ;;
    *) die "MODELHUB_BASE_FROM must be 'offline' or 'official', not '$base_from'" ;;
esac

if [ -z "${MODELHUB_CA_BUNDLE+set}" ]; then
    ca_bundle=""
    [ -f /etc/ssl/certs/ca-certificates.crt ] && ca_bundle=/etc/ssl/certs/ca-certificates.crt
else
    ca_bundle="$MODELHUB_CA_BUNDLE"
    [ -z "$ca_bundle" ] || [ -f "$ca_bundle" ] || die "MODELHUB_CA_BUNDLE=$ca_bundle: no such file"
fi

docker info >/dev/null 2>&1 || die "no Docker engine answers (run infra/bootstrap/docker-engine.sh first)"

# The classic builder works everywhere (dockerd 20.10, no buildx plugin).
if ! docker buildx version >/dev/null 2>&1; then
    export DOCKER_BUILDKIT=0
fi

# One run at a time (make and the control plane may both call this).
exec 9>"$MODELHUB_REPO_ROOT/var/run/base-images.lock"
flock 9

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

image_label() {
    docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

image_id() { docker image inspect -f '{{ .Id }}' "$1"; }

# major.minor of the Python an image runs as `python3`.
python_version_of() {
    docker run --rm --entrypoint python3 "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'
}

streamlit_pin() {
    local pin
    pin="$(sed -nE 's/^ARG STREAMLIT_VERSION=([0-9][^[:space:]]*)$/\1/p' "$1" | head -n 1)"
    [ -n "$pin" ] || die "no 'ARG STREAMLIT_VERSION=<version>' line in $1"
    printf '%s' "$pin"
}

# Hash of everything that decides an image's content: its Dockerfile, its base and flavour.
content_version() {
    local dockerfile="$1"; shift
    { cat "$dockerfile"; printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

# A build context holding only the Dockerfile and the CA bundle (or an empty file).
make_context() {
    local dockerfile="$1" ctx
    ctx="$(mktemp -d /var/tmp/modelhub-base-ctx.XXXXXX)"
    cp "$dockerfile" "$ctx/Dockerfile"
    if [ -n "$ca_bundle" ]; then cp "$ca_bundle" "$ctx/ca-bundle.crt"; else : >"$ctx/ca-bundle.crt"; fi
    printf '%s' "$ctx"
}

run_build() {
    local log="$1" ctx="$2"; shift 2
    if ! docker build "$@" "$ctx" >"$log" 2>&1; then
        rm -rf "$ctx"
        printf -- '--- last lines of %s ---\n' "$log" >&2
        tail -n 30 "$log" >&2
        die "docker build failed (full log: $log)"
    fi
}

# The image a rebuild replaced, once no tag names it (kept if demo images are built on it).
remove_if_dangling() {
    [ -n "$1" ] || return 0
    if [ -z "$(docker image inspect -f '{{ join .RepoTags "" }}' "$1" 2>/dev/null)" ]; then
        docker rmi "$1" >/dev/null 2>&1 || true
    fi
}

seconds_since() { printf '%ss' "$(( $(date +%s) - $1 ))"; }

# --- 1. offline Debian + Python ------------------------------------------------------
if [ "$base_from" != offline ]; then
    step "$debian_image: skipped (MODELHUB_BASE_FROM=$base_from)"
elif image_exists "$debian_image"; then
    step "$debian_image: skipped (exists)"
else
    bash "$MODELHUB_REPO_ROOT/infra/bootstrap/apt-packages.sh" >/dev/null
    t0=$(date +%s)
    bash "$base_dir/build-rootfs.sh" "$debian_image" >"$log_dir/base-image-debian-python.log" 2>&1 \
        || { tail -n 30 "$log_dir/base-image-debian-python.log" >&2; die "building $debian_image failed"; }
    step "$debian_image: done ($(seconds_since "$t0"), python $(image_label "$debian_image" modelhub.base.python))"
fi

# --- 2. Streamlit base (CPU) -----------------------------------------------------------
dockerfile="$base_dir/Dockerfile"
pin="$(streamlit_pin "$dockerfile")"
streamlit_image="modelhub/streamlit-base:$(cut -d. -f1,2 <<<"$pin")"
if ! image_exists "$streamlit_from"; then
    if [ "$base_from" = offline ]; then
        die "$streamlit_from is missing"
    fi
    docker pull -q "$streamlit_from" >/dev/null || die "cannot pull $streamlit_from (MODELHUB_BASE_FROM=official needs a registry)"
fi
version="$(content_version "$dockerfile" "$base_from" "$streamlit_from" "$(image_id "$streamlit_from")")"
if [ "$(image_label "$streamlit_image" modelhub.base.version)" = "$version" ]; then
    step "$streamlit_image: skipped (up to date, version $version)"
else
    t0=$(date +%s)
    python_version="$(python_version_of "$streamlit_from")"
    old_id="$(docker image inspect -f '{{ .Id }}' "$streamlit_image" 2>/dev/null || true)"
    ctx="$(make_context "$dockerfile")"
    run_build "$log_dir/base-image-streamlit.log" "$ctx" \
        --build-arg "BASE_IMAGE=$streamlit_from" \
        --build-arg "STREAMLIT_VERSION=$pin" \
        --build-arg "PYTHON_VERSION=$python_version" \
        --build-arg "BASE_VERSION=$version" \
        --build-arg "BASE_FROM=$base_from" \
        -t "$streamlit_image"
    rm -rf "$ctx"
    remove_if_dangling "$old_id"
    step "$streamlit_image: done ($(seconds_since "$t0"), streamlit $pin, python $python_version, from $streamlit_from, CA bundle: ${ca_bundle:-none})"
fi

# --- 3. Streamlit base (CUDA) ----------------------------------------------------------
dockerfile="$base_dir/Dockerfile.cuda"
pin="$(streamlit_pin "$dockerfile")"
cuda_image="modelhub/streamlit-cuda:$(cut -d. -f1,2 <<<"$pin")"
if [ "$build_cuda" != 1 ]; then
    step "$cuda_image: skipped (MODELHUB_BUILD_CUDA_BASE is not 1)"
else
    cuda_from="$(sed -nE 's/^ARG CUDA_IMAGE=([^[:space:]]+)$/\1/p' "$dockerfile" | head -n 1)"
    t0=$(date +%s)
    ctx="$(make_context "$dockerfile")"
    # The Python stage first, to learn its Python version for the label (cached for the full build).
    run_build "$log_dir/base-image-cuda.log" "$ctx" --pull --target python -t "$cuda_image-python"
    python_version="$(python_version_of "$cuda_image-python")"
    version="$(content_version "$dockerfile" "$cuda_from" "$(image_id "$cuda_from")")"
    if [ "$(image_label "$cuda_image" modelhub.base.version)" = "$version" ]; then
        rm -rf "$ctx"
        step "$cuda_image: skipped (up to date, version $version)"
    else
        old_id="$(docker image inspect -f '{{ .Id }}' "$cuda_image" 2>/dev/null || true)"
        run_build "$log_dir/base-image-cuda.log" "$ctx" \
            --build-arg "STREAMLIT_VERSION=$pin" \
            --build-arg "PYTHON_VERSION=$python_version" \
            --build-arg "BASE_VERSION=$version" \
            -t "$cuda_image"
        rm -rf "$ctx"
        remove_if_dangling "$old_id"
        step "$cuda_image: done ($(seconds_since "$t0"), streamlit $pin, python $python_version, from $cuda_from)"
    fi
fi

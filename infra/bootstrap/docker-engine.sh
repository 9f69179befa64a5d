#!/usr/bin/env bash
# Make sure a Docker engine answers on this host.
#
# - If `docker info` already answers (a dockerd started by hand, by systemd, or
#   by an earlier run of this script), accept it and exit.
# - Else install Debian's docker.io when dockerd is missing, start dockerd
#   detached (no systemd needed), log to <repo>/var/log/dockerd.log and wait up
#   to MODELHUB_DOCKERD_TIMEOUT seconds (default 60) for it to answer.
#
# Idempotent; safe to run on every `make`.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

timeout_s="${MODELHUB_DOCKERD_TIMEOUT:-60}"
log_dir="$MODELHUB_REPO_ROOT/var/log"
log_file="$log_dir/dockerd.log"

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    step "docker engine: ok"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    die "no Docker engine answers and starting one needs root (run as root, or start dockerd yourself)"
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    apt_install --no-install-recommends docker.io
    step "install docker.io: done"
else
    step "install docker.io: skipped (already installed)"
fi

# A dockerd may be running but still starting up, or a stale pid file may be
# left over from a killed one; only start ours when no dockerd process exists.
if pgrep -x dockerd >/dev/null 2>&1; then
    step "start dockerd: skipped (a dockerd process exists; waiting for it)"
else
    mkdir -p "$log_dir"
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        rm -f /var/run/docker.pid
    fi
    setsid nohup dockerd >>"$log_file" 2>&1 </dev/null &
    step "start dockerd: done (pid $!, log $log_file)"
fi

for _ in $(seq 1 "$timeout_s"); do
    if docker info >/dev/null 2>&1; then
        step "docker engine: ok"
        exit 0
    fi
    sleep 1
done

printf 'docker-engine: error: dockerd did not answer "docker info" within %ss\n' "$timeout_s" >&2
if [ -f "$log_file" ]; then
    printf -- '--- last lines of %s ---\n' "$log_file" >&2
    tail -n 30 "$log_file" >&2
fi
exit 1

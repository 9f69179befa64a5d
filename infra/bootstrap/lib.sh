# Shared helpers for the host bootstrap scripts. Source it; do not run it.
# shellcheck shell=bash

# Repository root, from this file's location (infra/bootstrap/lib.sh).
MODELHUB_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export MODELHUB_REPO_ROOT

# One line per step: "<script>: <what>: <outcome>".
step() {
    printf '%s\n' "$*"
}

die() {
    printf '%s: error: %s\n' "$(basename "$0" .sh)" "$*" >&2
    exit 1
}

# apt-get update at most once per script run.
_MODELHUB_APT_UPDATED=0
apt_update_once() {
    if [ "$_MODELHUB_APT_UPDATED" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
            || die "apt-get update failed"
        _MODELHUB_APT_UPDATED=1
    fi
}

# True when the Debian package is installed (not merely known to dpkg).
deb_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_install() {
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
        || die "apt-get install $* failed"
}

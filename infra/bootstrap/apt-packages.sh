#!/usr/bin/env bash
# Install the Debian packages Model Hub needs on the host, when missing.
#
#   debootstrap        builds the offline Debian base image (base-images.sh)
#   unar               extracts RAR bundles (the control plane's archive step)
#   chromium           the real browser of the end-to-end tests
#   fonts-dejavu-core  a font for chromium's screenshots
#
# Extra package names given as arguments are installed too.
# One `apt-get update`, and only when something is missing; quiet otherwise.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

packages=(debootstrap unar chromium fonts-dejavu-core "$@")

missing=()
for pkg in "${packages[@]}"; do
    deb_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" = 0 ]; then
    step "apt packages: skipped (all installed: ${packages[*]})"
    exit 0
fi

[ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}); installing them needs root"

apt_install --no-install-recommends "${missing[@]}"
step "apt packages: done (installed: ${missing[*]})"

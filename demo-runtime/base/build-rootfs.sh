#!/usr/bin/env bash
# Build the offline Debian + Python base image with debootstrap, no registry needed.
#
#   build-rootfs.sh [IMAGE]        (default IMAGE: modelhub/debian-python:bookworm)
#
# Steps: debootstrap a minbase Debian (python3, python3-venv, python3-pip,
# ca-certificates) from the Debian mirror this host's apt already uses, apply
# the suite's updates and security fixes, slim it down (apt lists, docs, man
# pages, locales), and `docker import` it with labels the control plane reads:
#   modelhub.base.python   e.g. 3.11
#   modelhub.base.debian   the suite, e.g. bookworm
#
# Settings (environment):
#   MODELHUB_DEBIAN_MIRROR   Debian mirror URL (default: the host's apt source)
#   MODELHUB_DEBIAN_SUITE    default: bookworm
#
# Needs root, debootstrap and a running Docker engine. Takes about a minute.
set -euo pipefail

image="${1:-modelhub/debian-python:bookworm}"
suite="${MODELHUB_DEBIAN_SUITE:-bookworm}"
me="build-rootfs"

die() { printf '%s: error: %s\n' "$me" "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (run infra/bootstrap/apt-packages.sh)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (run infra/bootstrap/docker-engine.sh)"

# Print the first URI of the host's apt sources serving suite $1 (deb822
# *.sources files first, then one-line *.list files).
host_apt_uri() {
    local want="$1" f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v want="$want" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1; exit
                }
                types = ""; suites = ""; uris = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^#/ { next }
            tolower($1) == "types:"  { $1 = ""; types = $0 }
            tolower($1) == "suites:" { $1 = ""; suites = $0 }
            tolower($1) == "uris:"   { $1 = ""; uris = $0 }
            END { if (!found) flush() }
        ' "$f" | head -n 1
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI SUITE COMPONENTS...
        sed -E 's/\[[^]]*\]//' "$f" | awk -v want="$want" '$1 == "deb" && $3 == want { print $2; exit }'
    done
}

mirror="${MODELHUB_DEBIAN_MIRROR:-$(host_apt_uri "$suite" | head -n 1)}"
[ -n "$mirror" ] || die "cannot find the Debian mirror for '$suite' in /etc/apt sources; set MODELHUB_DEBIAN_MIRROR"
security_mirror="$(host_apt_uri "$suite-security" | head -n 1)"

workdir="$(mktemp -d /var/tmp/modelhub-rootfs.XXXXXX)"
rootfs="$workdir/rootfs"
cleanup() { rm -rf --one-file-system "$workdir"; }
trap cleanup EXIT

debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    "$suite" "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1 \
    || { tail -n 30 "$workdir/debootstrap.log" >&2; die "debootstrap from $mirror failed"; }

# apt sources inside the image: the same mirror, plus updates and security.
rm -f "$rootfs/etc/apt/sources.list"
{
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$mirror" "$suite" "$suite"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$security_mirror" ]; then
        printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security_mirror" "$suite"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
} >"$rootfs/etc/apt/sources.list.d/debian.sources"

# Keep later `apt-get install`s in demo images small, like the official slim images.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/modelhub-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/modelhub-clean" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Acquire::Languages "none";
EOF

# Updates and security fixes; DNS from the host for the chroot only.
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get -y -qq upgrade && apt-get clean' >"$workdir/upgrade.log" 2>&1 \
    || { tail -n 30 "$workdir/upgrade.log" >&2; die "apt-get upgrade inside the rootfs failed"; }

# Slim down.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/groff/* \
    "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/locale/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* \
    "$rootfs"/etc/resolv.conf "$rootfs"/etc/hostname
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$rootfs/var/log" -type f -exec truncate -s 0 {} +
: >"$rootfs/etc/machine-id"

python_bin="$(readlink "$rootfs/usr/bin/python3")"   # e.g. python3.11
python_version="${python_bin#python}"
[[ "$python_version" =~ ^3\.[0-9]+$ ]] || die "cannot tell the Python version of the rootfs (/usr/bin/python3 -> $python_bin)"

tar -C "$rootfs" --numeric-owner --xattrs -c . \
    | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "LABEL modelhub.base.python=$python_version modelhub.base.debian=$suite" \
        --change 'CMD ["/bin/bash"]' \
        --message "debootstrap $suite minbase + python$python_version from $mirror" \
        - "$image" >/dev/null

printf '%s: %s: python %s, debian %s, from %s\n' "$me" "$image" "$python_version" "$suite" "$mirror"

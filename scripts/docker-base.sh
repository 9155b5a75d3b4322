#!/usr/bin/env bash
# Builds a stand-in for the `python:3.11-slim` base image where no image registry is reachable:
# a Debian bookworm root file system from debootstrap (its python3 is 3.11) with python3-venv,
# python3-pip and CA certificates, this machine's CA bundle and pip configuration copied in, and
# `python`/`pip` on PATH, imported into Docker under the official image's tag. Where a registry
# is reachable, skip this: `docker build` pulls the real image. Needs root, debootstrap and a
# running Docker daemon. Usage: scripts/docker-base.sh [TAG] (default python:3.11-slim).
set -euo pipefail
tag="${1:-python:3.11-slim}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root="$(mktemp -d /tmp/depositdesk-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"  # mktemp made it 0700: the image's / must be open to non-root users

debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$root" "$mirror"

# The official image's pip is not marked "externally managed" and `python`/`pip` exist.
rm -f "$root"/usr/lib/python3.*/EXTERNALLY-MANAGED
ln -sf python3 "$root/usr/bin/python"
ln -sf pip3 "$root/usr/bin/pip"
# This machine's trust store (it may hold a proxy's CA) and pip settings, so pip inside the
# build reaches the same package index as pip here.
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# (Only the site-wide file: a per-user one may name local wheel folders the image lacks.)
if [ -f /etc/pip.conf ]; then cp /etc/pip.conf "$root/etc/pip.conf"; fi
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*

tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$tag"
docker run --rm "$tag" python -c 'import sys, venv, ssl; print("base ready:", sys.version.split()[0])'

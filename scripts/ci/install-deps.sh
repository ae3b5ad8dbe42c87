#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for the test suite: Samba (file server + AD DC) and its
# client, OpenLDAP tools, Chromium for the report's browser test, ntfs-3g (FUSE) and attr (getfattr/setfattr)
# for the cloud-only file scan of a mounted NTFS volume, Wine (64-bit only, no i386 multiarch) for the
# Windows-runtime lane (test/integration/wine), hivex (offline registry hives: hivexsh, hivexget, hivexregedit
# and its Perl module) for the registry rules, iproute2 (`ip`, to bring up loopback in the network namespace of
# the per-store ACL tests' smbd). Idempotent; needs root (or sudo).
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
PKGS="samba smbclient samba-ad-dc samba-ad-provision samba-dsdb-modules ldap-utils openssl chromium ntfs-3g attr wine wine64 libhivex-bin libwin-hivex-perl iproute2"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# Distribution daemons are not wanted (tests start their own on 127.0.0.1); stop them if the image started any.
for svc in smbd nmbd samba-ad-dc winbind; do $SUDO systemctl stop "$svc" >/dev/null 2>&1 || true; done
echo "system packages ready"

#!/usr/bin/env bash
# Builds build/btms_<version>_<arch>.deb with debhelper (debian/), the web UI inside, and runs
# lintian on it. Needs the packages of scripts/install.sh plus debhelper, lintian, help2man and
# libsystemd-dev (all installed by scripts/install.sh).
# Usage: bash scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The UI is built here (npm may need the network; a package build must not).
if [ -f web/package.json ]; then
  (cd web && { [ -d node_modules ] && [ node_modules -nt package-lock.json ]; } || npm ci --no-audit --no-fund)
  (cd web && npm run build --silent)
fi
[ -f web/dist/index.html ] || { echo "package.sh: web/dist/index.html missing" >&2; exit 1; }

export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
dpkg-buildpackage -b -uc -us --no-sign -j"$(nproc)"

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="btms_${version}_${arch}.deb"
mkdir -p build
mv "../$deb" build/
rm -f "../btms_${version}_${arch}.buildinfo" "../btms_${version}_${arch}.changes" \
  "../btms-dbgsym_${version}_${arch}.deb"
echo "package.sh: build/$deb"
lintian --fail-on error,warning "build/$deb"

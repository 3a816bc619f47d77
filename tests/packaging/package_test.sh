#!/usr/bin/env bash
# Builds the Debian package (scripts/package.sh: debhelper + lintian with warnings as failures)
# and checks what it holds. Slow (a full build with the package's hardening flags): ctest label
# `long`; run with  ctest --test-dir build -L long -R Packaging  (or this script directly).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/package.sh
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="build/btms_${version}_${arch}.deb"
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/btms ./usr/share/btms/web/index.html ./etc/btms/site.toml \
  ./lib/systemd/system/btms-gateway.service ./lib/systemd/system/btms-aggregator.service \
  ./usr/share/man/man1/btms.1.gz ./usr/share/doc/btms/examples/example-site.toml \
  ./usr/lib/sysusers.d/btms.conf; do
  grep -q " $path\$" <<<"$contents" || { echo "missing in $deb: $path" >&2; exit 1; }
done
dpkg-deb -I "$deb" conffiles | grep -qx /etc/btms/site.toml || {
  echo "/etc/btms/site.toml is not a conffile" >&2
  exit 1
}
# The packaged binary is hardened (PIE, RELRO, bindnow, stack protector, fortify).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
"$tmp/usr/bin/btms" --version
echo "package_test: $deb ok"

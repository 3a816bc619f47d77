#!/usr/bin/env bash
# piuparts on the package in a clean Debian 12 chroot: installation and purge (nothing left
# behind, nothing broken), and the upgrade from the previous package to the current one then
# purge. The previous package is offered to the chroot's apt as a local repository, so
# piuparts' upgrade test installs it first and upgrades it with the current .deb.
# Usage: tests/packaging/piuparts_test.sh [PREVIOUS_DEB CURRENT_DEB]
#   Without arguments: the same two packages as clean_root_test.sh (tests/packaging/lib.sh).
# The base chroot is kept under build/packaging-cache (one per ISO week). Needs root and
# piuparts (scripts/install.sh --with-tests); skips (exit 77) without them. ctest label `long`.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/packaging/lib.sh
source tests/packaging/lib.sh

skip() {
  echo "piuparts_test: SKIP: $*"
  exit 77 # ctest's SKIP_RETURN_CODE for this test
}
[ "$(id -u)" -eq 0 ] || skip "needs root (piuparts builds chroots)"
command -v piuparts >/dev/null || skip "piuparts missing (bash scripts/install.sh --with-tests)"
command -v dpkg-scanpackages >/dev/null || skip "dpkg-scanpackages missing (dpkg-dev)"

started=$SECONDS
choose_packages "$@"

cache="$PWD/build/packaging-cache"
mkdir -p "$cache"
basetgz="$cache/piuparts-bookworm-$(dpkg --print-architecture)-$(date +%G-W%V).tar.gz"
log="$cache/piuparts.log"

# The previous package as a trusted local repository (bind-mounted at the same path).
repo=$(mktemp -d /tmp/btms-piuparts-repo.XXXXXX)
trap 'rm -rf "$repo"' EXIT
chmod 0755 "$repo" # apt reads it as _apt inside the chroot
cp "$previous" "$repo/"
(cd "$repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null)

args=(--distribution=bookworm --mirror="$(debian_mirror)"
  --bindmount="$repo" --extra-repo="deb [trusted=yes] file://$repo ./"
  --log-file="$log"
  # systemd comes in as the provider of systemd-sysusers (the btms user); its postinst runs
  # systemd-tmpfiles, whose folders below stay when piuparts purges systemd again. None of them
  # is btms's: btms's own leftovers are still found.
  --ignore-regexp='^/root/\.ssh/$' --ignore-regexp='^/var/(cache|lib|log)/private/$'
  --ignore-regexp='^/var/lib/systemd/(coredump|pstore)/$')
if [ -f "$basetgz" ]; then
  args+=(--basetgz="$basetgz")
else
  # The first run of the week builds the base chroot with debootstrap and keeps it.
  args+=(--save="$basetgz")
  find "$cache" -maxdepth 1 -name 'piuparts-bookworm-*.tar.gz' -delete
fi

echo "piuparts_test: piuparts ${args[*]} $current (upgrade from $(dpkg-deb -f "$previous" Version))"
rm -f "$log" # piuparts appends to its log: a PASS of an earlier run must not count
rc=0
piuparts "${args[@]}" "$current" >/dev/null 2>&1 || rc=$?
# The verdict and the steps that show the upgrade was tested.
grep -E 'INFO: (Installation of|PASS)|apt-cache knows|FAIL|ERROR' "$log" | cut -c1-200 | tail -20
if [ "$rc" -ne 0 ]; then
  echo "piuparts_test: FAIL (piuparts exit $rc), log: $log" >&2
  exit 1
fi
# The upgrade test runs only when the chroot's apt knows the previous package: required here.
for pass in 'PASS: Installation and purging test' 'PASS: Installation, upgrade and purging tests' \
  'PASS: All tests'; do
  grep -q "$pass" "$log" || {
    echo "piuparts_test: FAIL: no '$pass' in $log" >&2
    exit 1
  }
done
echo "piuparts_test: PASS in $((SECONDS - started)) s, log: $log"

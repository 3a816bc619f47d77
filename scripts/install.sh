#!/usr/bin/env bash
# Installs every dependency of BTMS on Debian 12 (as root) and builds build/btms.
# Idempotent: packages already present are not fetched again, the build is incremental.
# Usage: bash scripts/install.sh [--with-tests]   (--with-tests also builds the sanitizer tree)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config ccache git
  clang clang-format clang-tidy libclang-rt-14-dev
  libmodbus-dev libboost1.81-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libtomlplusplus-dev libsodium-dev libssl-dev libsqlite3-dev sqlite3 libpqxx-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsystemd-dev systemd
  libmosquitto-dev mosquitto mosquitto-clients libprotobuf-dev protobuf-compiler
  mbpoll socat curl
  libcurl4-openssl-dev python3-aiosmtpd openssl
  libsnmp-dev snmp snmpd snmptrapd smitools
  libncurses-dev tmux
  debhelper lintian help2man
)
# Browser tests drive Debian's Chromium through playwright-core (never a downloaded browser);
# poppler-utils reads back the PDF reports they print.
if [ "${1:-}" = "--with-tests" ]; then packages+=(chromium fonts-dejavu-core fonts-liberation postgresql poppler-utils); fi
# The packaging tests install the .deb into clean Debian 12 chroots (tests/packaging).
if [ "${1:-}" = "--with-tests" ]; then packages+=(debootstrap piuparts dpkg-dev jq); fi
# Node.js: Debian 12's own nodejs + npm (18.19) is enough to build the UI; a machine that already
# has a newer Node.js with its npm keeps it (installing Debian's npm over it would conflict).
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install.sh: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: missing packages and not root; run as root (or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -f web/package.json ]; then
  (cd web && { [ -d node_modules ] && [ node_modules -nt package-lock.json ]; } || npm ci --no-audit --no-fund)
  (cd web && npm run build --silent)
fi

jobs=$(nproc)
# ccache: let a fresh clone in another folder reuse the cache (paths relative to the tree).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
if [ "${1:-}" = "--with-tests" ]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j"$jobs"
fi
echo "install.sh: build/btms is ready"

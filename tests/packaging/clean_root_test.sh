#!/usr/bin/env bash
# Installs the package into a clean Debian 12 root and upgrades it with history present:
#   1. debootstrap a minimal bookworm root (a tarball under build/packaging-cache, one per ISO
#      week, so a rerun lays it anew in seconds);
#   2. install the previous package with apt (dependencies from the mirror), start the gateway
#      as the installed unit's ExecStart says (its Environment=, EnvironmentFile=,
#      StateDirectory=, ConfigurationDirectory=, UMask=, User=, Group=, SupplementaryGroups=)
#      against `btms sim` on the demo plant, wait for /api/v1/health on loopback, let it record
#      history, stop it with SIGTERM, keep what the history holds;
#   3. upgrade to the current package, start again, health again, and check that every history
#      row and every point recorded before is still there and the schema is the current one;
#   4. purge, and check the state folder went with it.
# Usage: tests/packaging/clean_root_test.sh [PREVIOUS_DEB CURRENT_DEB]
#   Without arguments: the current tree's package (scripts/package.sh) and the package of the
#   commit before the history schema's last change (tests/packaging/lib.sh), both built once.
# Needs root and debootstrap (scripts/install.sh --with-tests); skips (exit 77) without them.
# Slow the first time (package builds, debootstrap): ctest label `long`.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/packaging/lib.sh
source tests/packaging/lib.sh

log() { echo "clean_root_test: $*"; }
fail() {
  echo "clean_root_test: FAIL: $*" >&2
  exit 1
}
skip() {
  echo "clean_root_test: SKIP: $*"
  exit 77 # ctest's SKIP_RETURN_CODE for this test
}

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || skip "debootstrap missing (bash scripts/install.sh --with-tests)"
for tool in sqlite3 curl jq ss; do
  command -v "$tool" >/dev/null || skip "$tool missing (bash scripts/install.sh --with-tests)"
done

started=$SECONDS
choose_packages "$@"
for deb in "$previous" "$current"; do [ -f "$deb" ] || fail "no such package: $deb"; done
dpkg --compare-versions "$(dpkg-deb -f "$current" Version)" gt "$(dpkg-deb -f "$previous" Version)" ||
  fail "$current is not newer than $previous"
log "previous $previous"
log "current  $current"

mirror=$(debian_mirror)
arch=$(dpkg --print-architecture)
cache="$PWD/build/packaging-cache"
base="$cache/bookworm-minbase-$arch-$(date +%G-W%V).tar.gz"
mkdir -p "$cache/apt-archives/partial"
# Logs and what is compared, of the last run (kept for a look after a failure).
work="$cache/clean-root-last-run"
rm -rf "$work"
mkdir -p "$work"

root=$(mktemp -d /tmp/btms-cleanroot.XXXXXX)
chmod 0755 "$root" # apt's downloads run as _apt, which must reach into the root
pids=()
# Everything this test starts or mounts goes on exit, failed or not: its processes (the gateway
# and the plant), anything else still running inside the root, the mounts, the root itself.
cleanup() {
  local pid link m
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for link in /proc/[0-9]*/root; do
    [ "$(readlink "$link" 2>/dev/null)" = "$root" ] || continue
    pid=${link#/proc/}
    pid=${pid%/root}
    kill -KILL "$pid" 2>/dev/null || true
  done
  # Deepest mount first.
  while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done < <(
    findmnt -rn -o TARGET | grep "^$root/" | sort -r || true
  )
  if findmnt -rn -o TARGET | grep -q "^$root/"; then
    echo "clean_root_test: mounts left under $root, not removed" >&2
  else
    rm -rf "$root"
  fi
}
trap cleanup EXIT

# --- 1. the clean root ----------------------------------------------------------------------
if [ ! -f "$base" ]; then
  log "debootstrap bookworm ($arch, minbase) from $mirror"
  t=$SECONDS
  debootstrap --variant=minbase --arch="$arch" bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    fail "debootstrap failed, see $cache/debootstrap.log"
  rm -rf "$root"/var/cache/apt/archives/*.deb
  # The package lists go into the tarball too: a rerun's apt-get update fetches what changed.
  echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" apt-get -q -o APT::Sandbox::User=root update >>"$cache/debootstrap.log" 2>&1 ||
    fail "apt-get update in the new root failed, see $cache/debootstrap.log"
  tar -C "$root" -czf "$base.tmp" . && mv "$base.tmp" "$base"
  find "$cache" -maxdepth 1 -name 'bookworm-minbase-*.tar.gz' ! -path "$base" -delete
  log "debootstrap: $((SECONDS - t)) s, cached as $base"
else
  t=$SECONDS
  tar -C "$root" -xzf "$base"
  log "root laid from $base in $((SECONDS - t)) s"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
# No service starts inside the chroot on installation (there is no systemd running there).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
# Downloaded packages are kept between runs.
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
apt_install_deb() {
  cp "$1" "$root/tmp/"
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o APT::Sandbox::User=root \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "/tmp/$(basename "$1")" >"$work/apt.log" 2>&1 || {
    tail -40 "$work/apt.log" >&2
    fail "apt-get install $(basename "$1") failed"
  }
  rm -f "$root/tmp/$(basename "$1")"
}

installed_version() { in_root dpkg-query -W -f="\${Version}" btms; }

t=$SECONDS
# apt downloads as root (APT::Sandbox::User): the archive cache is a bind mount of a host folder
# that _apt of the root cannot write.
in_root apt-get -q -o APT::Sandbox::User=root update >/dev/null ||
  fail "apt-get update in the root failed (mirror $mirror)"
apt_install_deb "$previous"
log "previous package installed in $((SECONDS - t)) s ($(installed_version))"
in_root getent passwd btms >/dev/null || fail "no btms user after installation"

# --- the gateway as its unit starts it --------------------------------------------------------
unit=/lib/systemd/system/btms-gateway.service
# The values of one key of the unit's [Service] section, one a line, in file order.
unit_values() {
  awk -v key="$1" '/^\[/ {s = ($0 == "[Service]")} s && index($0, key "=") == 1 {
    print substr($0, length(key) + 2)}' "$root$unit"
}

# Environment= assignments: a quoted "KEY=some words" or unquoted KEY=word, several per line.
declare -A env=()
parse_assignments() {
  local rest=$1 item
  while [ -n "$rest" ]; do
    rest=${rest#"${rest%%[![:space:]]*}"}
    [ -n "$rest" ] || break
    if [ "${rest:0:1}" = '"' ]; then
      rest=${rest:1}
      item=${rest%%\"*}
      rest=${rest#*\"}
    else
      item=${rest%%[[:space:]]*}
      rest=${rest#"$item"}
    fi
    [[ $item == *=* ]] || fail "cannot read the assignment '$item' in $unit"
    env[${item%%=*}]=${item#*=}
  done
}
# An environment file: KEY=VALUE lines, # comments, values optionally in one pair of quotes.
parse_environment_file() {
  local line key value
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    key=${line%%=*}
    value=${line#*=}
    [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]] && value=${BASH_REMATCH[1]}
    env[$key]=$value
  done <"$1"
}

# argv of the unit's ExecStart= with systemd's expansion: ${NAME} is replaced inside its word,
# a word that is just $NAME becomes the value's words, an unset variable nothing.
exec_start_argv() {
  local line word name value
  line=$(unit_values ExecStart)
  [ "$(wc -l <<<"$line")" -eq 1 ] || fail "expected one ExecStart= in $unit"
  [[ $line != *[\"\'\\]* ]] || fail "ExecStart= with quotes or escapes: not handled here"
  line=${line#[-@:+!]}
  argv=()
  for word in $line; do
    if [[ $word =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
      value=${env[${BASH_REMATCH[1]}]:-}
      # shellcheck disable=SC2206  # the value's words, as systemd splits $NAME
      [ -n "$value" ] && argv+=($value)
      continue
    fi
    while [[ $word =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
      name=${BASH_REMATCH[1]}
      word=${word//"\${$name}"/${env[$name]:-}}
    done
    argv+=("$word")
  done
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    ss -Htan "sport = :$port" | grep -q . || {
      echo "$port"
      return
    }
  done
}

web_port=$(free_port)
scada_port=$(free_port)
# The shipped /etc/btms/site.toml describes a real site (RS-485 and a controller on the LAN):
# the trial setup of the README instead, the demo plant served by `btms sim`, its buses moved
# to free ports. The service options go where the unit reads them: /etc/default/btms-gateway.
setup_site() {
  local port ports
  cp "$root/usr/share/doc/btms/examples/demo-site.toml" "$root/etc/btms/site.toml"
  ports=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$root/etc/btms/site.toml" | sort -u)
  while read -r port; do
    sed -i "s/^port = $port\$/port = $(free_port)/" "$root/etc/btms/site.toml"
  done <<<"$ports"
  printf 'BTMS_GATEWAY_OPTS="--bind 127.0.0.1 --port %s --scada-port %s"\n' \
    "$web_port" "$scada_port" >"$root/etc/default/btms-gateway"
}

# What systemd does before ExecStart: the state and configuration folders (StateDirectory= is
# owned by the service user with its mode, ConfigurationDirectory= stays root's), their
# variables, the user's environment.
start_gateway() {
  local state config state_mode config_mode user group groups umask_value efile
  env=()
  while IFS= read -r line; do parse_assignments "$line"; done < <(unit_values Environment)
  while IFS= read -r efile; do
    if [ "${efile:0:1}" = - ]; then
      efile=${efile:1}
      [ -f "$root$efile" ] || continue
    fi
    parse_environment_file "$root$efile"
  done < <(unit_values EnvironmentFile)
  state=$(unit_values StateDirectory)
  config=$(unit_values ConfigurationDirectory)
  state_mode=$(unit_values StateDirectoryMode)
  config_mode=$(unit_values ConfigurationDirectoryMode)
  user=$(unit_values User)
  group=$(unit_values Group)
  groups=$(unit_values SupplementaryGroups | tr ' ' ',')
  umask_value=$(unit_values UMask)
  # Owner and group by their numbers in the root (the host may not know btms).
  install -d "$root/var/lib/$state"
  chmod "${state_mode:-0755}" "$root/var/lib/$state"
  chown "$(in_root id -u "$user"):$(in_root getent group "$group" | cut -d: -f3)" "$root/var/lib/$state"
  install -d -m "${config_mode:-0755}" "$root/etc/$config"
  env[STATE_DIRECTORY]=/var/lib/$state
  env[CONFIGURATION_DIRECTORY]=/etc/$config
  exec_start_argv
  local -a assignments=(HOME="$(in_root getent passwd "$user" | cut -d: -f6)" USER="$user"
    LOGNAME="$user" SHELL=/usr/sbin/nologin)
  local key
  for key in "${!env[@]}"; do assignments+=("$key=${env[$key]}"); done
  log "ExecStart as $user:$group (+${groups:-none}), umask ${umask_value:-0022}: ${argv[*]}"
  (
    umask "${umask_value:-0022}"
    exec chroot "$root" /usr/bin/setpriv --reuid="$user" --regid="$group" \
      ${groups:+--groups="$groups"} --no-new-privs -- \
      /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin LANG=C.UTF-8 \
      "${assignments[@]}" "${argv[@]}"
  ) >"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  pids+=("$gateway_pid")
}

start_sim() {
  # As the README's trial: the plant alone, real time, its truth and clock endpoint off.
  chroot "$root" /usr/bin/setpriv --reuid=btms --regid=btms --clear-groups -- \
    /usr/bin/btms sim --config /etc/btms/site.toml --truth-port -1 >"$work/sim.log" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
}

base_url="http://127.0.0.1:$web_port"
wait_health() {
  local deadline=$((SECONDS + 90)) body
  while ((SECONDS < deadline)); do
    kill -0 "$gateway_pid" 2>/dev/null || {
      tail -30 "$work/gateway.log" >&2
      fail "the gateway exited before answering /api/v1/health"
    }
    # "starting" until the first readings are published; "ok" with a history that writes.
    if body=$(curl -fsS --max-time 2 "$base_url/api/v1/health" 2>/dev/null) &&
      jq -e '.status == "ok" and .history.ok == true' <<<"$body" >/dev/null; then
      log "health: $(jq -c '{status, history, uptime_s}' <<<"$body")"
      return
    fi
    sleep 0.5
  done
  tail -30 "$work/gateway.log" >&2
  fail "no /api/v1/health answer with status ok within 90 s (last: ${body:-none})"
}

# SIGTERM, as systemd stops it, waited for as long as TimeoutStopSec= allows.
stop_gateway() {
  local timeout rc=0
  timeout=$(unit_values TimeoutStopSec)
  timeout=${timeout%s}
  kill -TERM "$gateway_pid"
  for ((i = 0; i < ${timeout:-90} * 10; i++)); do
    kill -0 "$gateway_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$gateway_pid" 2>/dev/null && fail "the gateway did not stop within ${timeout}s of SIGTERM"
  wait "$gateway_pid" || rc=$?
  [ "$rc" -eq 0 ] || {
    tail -20 "$work/gateway.log" >&2
    fail "the gateway exited with $rc on SIGTERM"
  }
}
stop_sim() {
  kill -TERM "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
}

db="$root/var/lib/btms/history.db"
sql() { sqlite3 -batch -noheader "file:$db?mode=ro" "$1"; }

# --- 2. the previous version records history --------------------------------------------------
setup_site
start_sim
sleep 1
start_gateway
wait_health
# A viewer token for the history API (the gateway serves no anonymous reads).
token=$(in_root /usr/bin/setpriv --reuid=btms --regid=btms --clear-groups -- \
  /usr/bin/btms token add cleanroot-test --role viewer --data-dir /var/lib/btms 2>>"$work/token.log")
[ -n "$token" ] || fail "btms token add gave no token"
record_s=${BTMS_CLEANROOT_RECORD_S:-20}
log "recording history for $record_s s"
sleep "$record_s"

# The points of up to 32 channels (the API's limit per request) from before the start to a few
# seconds ago, raw: read now, through the old version's API, and again after the upgrade.
channels=$(sql "SELECT name FROM channels ORDER BY id LIMIT 32")
[ -n "$channels" ] || fail "no history channels after $record_s s"
to_ms=$((($(date +%s) - 3) * 1000))
from_ms=$((to_ms - (record_s + 120) * 1000))
query="from=$from_ms&to=$to_ms&points=10000"
while read -r c; do query+="&channel=$c"; done <<<"$channels"
history_points() {
  curl -fsS --max-time 30 -H "Authorization: Bearer $token" "$base_url/api/v1/history?$query"
}
history_points >"$work/points.before" || fail "GET /api/v1/history failed on the previous version"
points_before=$(jq '[.series[].buckets[][4]] | add' "$work/points.before")
[ "${points_before:-0}" -gt 0 ] || fail "no points in $(jq -c '.series[0]' "$work/points.before")"
stop_gateway
stop_sim

snapshot() {
  sql "SELECT 'channels', count(*) FROM channels UNION ALL
       SELECT 'chunks', count(*) FROM chunks UNION ALL
       SELECT 'journal', count(*) FROM journal UNION ALL
       SELECT 'minute_chunks', count(*) FROM minute_chunks UNION ALL
       SELECT 'rollups_hour', count(*) FROM rollups_hour UNION ALL
       SELECT 'events', count(*) FROM events UNION ALL
       SELECT 'newest chunk end_ms', coalesce(max(end_ms), 0) FROM chunks UNION ALL
       SELECT 'newest event time_ms', coalesce(max(time_ms), 0) FROM events" | tr '|' ' '
}
# Rows that must survive unchanged: channels, sealed chunks with their content, events; hour
# rollups by their key (the running hour's row goes on counting after the restart).
rows() {
  sql "SELECT 'channel', id, name, unit FROM channels;
       SELECT 'chunk', channel, start_ms, end_ms, count, hex(blob) FROM chunks;
       SELECT 'event', event_id, time_ms, kind, severity, source, rule, text FROM events;
       SELECT 'rollup', channel, bucket_ms FROM rollups_hour" | sort
}
old_version=$(sql "SELECT version FROM schema_version WHERE part = 'history'")
snapshot >"$work/counts.before"
rows >"$work/rows.before"
log "previous version's history (schema $old_version, $points_before points in $(wc -l <<<"$channels") channels):"
sed 's/^/  /' "$work/counts.before"

# --- 3. upgrade --------------------------------------------------------------------------------
t=$SECONDS
apt_install_deb "$current"
log "upgraded in $((SECONDS - t)) s to $(installed_version)"
[ -f "$root/var/lib/btms/history.db" ] || fail "history.db gone after the upgrade"
start_sim
sleep 1
start_gateway
wait_health
history_points >"$work/points.after" || fail "GET /api/v1/history failed after the upgrade"
cmp -s <(jq -S . "$work/points.before") <(jq -S . "$work/points.after") || {
  diff <(jq -c '.series[] | {channel, n: (.buckets | length)}' "$work/points.before") \
    <(jq -c '.series[] | {channel, n: (.buckets | length)}' "$work/points.after") >&2 || true
  fail "the history API answers differently for the time before the upgrade"
}
log "the $points_before points recorded before the upgrade are answered unchanged"
sleep 5
stop_gateway
stop_sim

new_version=$(sql "SELECT version FROM schema_version WHERE part = 'history'")
expected=$(sed -n 's/.*kSqliteHistorySchemaVersion == \([0-9]*\).*/\1/p' src/history/sqlite_store.cpp | head -1)
[ "$new_version" = "$expected" ] ||
  fail "history schema $new_version after the upgrade, expected $expected (was $old_version)"
snapshot >"$work/counts.after"
rows >"$work/rows.after"
log "history after the upgrade and a second run (schema $old_version -> $new_version):"
sed 's/^/  /' "$work/counts.after"
comm -23 "$work/rows.before" "$work/rows.after" >"$work/rows.missing"
missing=$(wc -l <"$work/rows.missing")
[ "$missing" -eq 0 ] || {
  cut -c1-160 "$work/rows.missing" | sed 5q >&2
  fail "$missing rows of the previous version's history are missing after the upgrade"
}
for key in 'newest chunk end_ms' 'newest event time_ms'; do
  before=$(grep "^$key " "$work/counts.before" | awk '{print $NF}')
  after=$(grep "^$key " "$work/counts.after" | awk '{print $NF}')
  [ "$after" -ge "$before" ] || fail "$key went back from $before to $after"
done
log "all $(wc -l <"$work/rows.before") channel, chunk, event and rollup rows of before are there"

# --- 4. purge ----------------------------------------------------------------------------------
in_root env DEBIAN_FRONTEND=noninteractive dpkg --purge btms >/dev/null
[ ! -e "$root/var/lib/btms" ] || fail "/var/lib/btms left after purge"
log "purge removed /var/lib/btms"
log "PASS in $((SECONDS - started)) s"

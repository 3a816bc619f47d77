# shellcheck shell=bash
# Shared by clean_root_test.sh and piuparts_test.sh (sourced, not run): the Debian mirror, the
# current package and the previous one to upgrade from. Callers run from the source tree's top
# with `set -euo pipefail`.

# The Debian 12 mirror this machine's apt uses (deb822 sources or a one-line sources.list);
# BTMS_DEBIAN_MIRROR wins. The chroots only reach what the machine reaches.
debian_mirror() {
  if [ -n "${BTMS_DEBIAN_MIRROR:-}" ]; then
    echo "$BTMS_DEBIAN_MIRROR"
    return
  fi
  local uri
  # The first deb822 stanza whose suites include bookworm (not -security or -updates alone).
  uri=$(awk '/^URIs:/ {u = $2} /^Suites:/ && / bookworm( |$)/ && u != "" {print u; exit}' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list \
      /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# The package of this tree (scripts/package.sh's output), built when it is not there yet.
current_deb() {
  local version arch deb
  version=$(dpkg-parsechangelog -S Version)
  arch=$(dpkg-architecture -qDEB_HOST_ARCH)
  deb="$PWD/build/btms_${version}_${arch}.deb"
  if [ ! -f "$deb" ]; then
    echo "packaging: building $deb (scripts/package.sh)" >&2
    bash scripts/package.sh >&2
  fi
  echo "$deb"
}

# The commit where the history schema was one version below the current one: the parent of
# the commit that raised kSqliteHistorySchemaVersion to its current value. An upgrade from its
# package migrates a real history file of the older schema.
previous_schema_commit() {
  local current introduced
  current=$(sed -n 's/.*kSqliteHistorySchemaVersion == \([0-9]*\).*/\1/p' \
    src/history/sqlite_store.cpp | head -1)
  [ -n "$current" ] || {
    echo "packaging: no kSqliteHistorySchemaVersion check in src/history/sqlite_store.cpp" >&2
    return 1
  }
  introduced=$(git log --format=%H -S"kSqliteHistorySchemaVersion == $current" \
    -- src/history/sqlite_store.cpp | tail -1)
  [ -n "$introduced" ] || {
    echo "packaging: no commit introduced history schema $current (a shallow clone?)" >&2
    return 1
  }
  git rev-parse "$introduced^"
}

# The package built from previous_schema_commit, in a temporary worktree with that commit's
# scripts/package.sh; kept under build/previous-deb/<commit>/ so it is built once.
previous_deb() (
  commit=$(previous_schema_commit)
  cache="$PWD/build/previous-deb/$commit"
  deb=$(find "$cache" -maxdepth 1 -name 'btms_*.deb' 2>/dev/null | head -1)
  if [ -n "$deb" ]; then
    echo "$deb"
    exit 0
  fi
  wt=$(mktemp -d /tmp/btms-previous.XXXXXX)
  # A subshell of its own: the worktree goes when it exits, also when the build fails.
  trap 'git worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"; git worktree prune' EXIT
  echo "packaging: building the package of $commit (history schema before the current one)" >&2
  git worktree add --detach "$wt" "$commit" >&2
  # The UI's node modules of this tree, when that commit locks the same ones (npm ci may need a
  # network the build machine does not have); touched so package.sh takes them as current.
  if [ -d web/node_modules ] && git diff --quiet "$commit" HEAD -- web/package-lock.json; then
    cp -a web/node_modules "$wt/web/"
    touch "$wt/web/node_modules"
  fi
  if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    # Built at this tree's path, seen through a bind mount in a mount namespace of its own
    # (nothing outside sees it): the compiler's -ffile-prefix-map then names the same folder
    # as in this tree's package build, so ccache can reuse its objects. Measured for the schema
    # 2 commit: only ~30 of ~170 compiles hit (headers both include differ); 36 min, not 50.
    top=$PWD
    # shellcheck disable=SC2016  # $1 and $2 are the inner shell's arguments
    unshare --mount --propagation private -- sh -c \
      'mount --bind "$1" "$2" && cd "$2" && bash scripts/package.sh' sh "$wt" "$top" >&2
  else
    (cd "$wt" && bash scripts/package.sh) >&2
  fi
  mkdir -p "$cache"
  mv "$wt"/build/btms_*.deb "$cache/"
  find "$cache" -maxdepth 1 -name 'btms_*.deb' | head -1
)

# The two packages a test compares: PREVIOUS_DEB CURRENT_DEB as given, or (no arguments) this
# tree's package and the previous schema's, built when missing. Sets $previous and $current.
# shellcheck disable=SC2034  # set for the test that sources this file
choose_packages() {
  if [ $# -eq 2 ]; then
    previous=$(realpath "$1")
    current=$(realpath "$2")
  elif [ $# -eq 0 ]; then
    current=$(current_deb)
    previous=$(previous_deb)
  else
    echo "usage: $0 [PREVIOUS_DEB CURRENT_DEB]" >&2
    exit 2
  fi
}

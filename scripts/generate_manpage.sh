#!/usr/bin/env bash
# Generates the btms(1) man page from the program's own --help texts (help2man), with one
# section per subcommand, so the page never drifts from the options.
# Usage: bash scripts/generate_manpage.sh PATH/TO/btms OUT.1
set -euo pipefail
btms=$1
out=$2
include=$(mktemp)
trap 'rm -f "$include"' EXIT
{
  echo "[COMMANDS]"
  for command in demo sim gateway scan config user backup restore docs; do
    echo ".SS \"btms $command\""
    echo ".nf"
    # Roff-escape backslashes and leading dots of the help text.
    "$btms" "$command" --help | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
    echo ".fi"
  done
  cat <<'ROFF'
[FILES]
.TP
.I /etc/btms/site.toml
The site of this gateway (UPSs, strings, buses, limits).
.TP
.I /var/lib/btms
History, events, users, audit log, saved settings, generated TLS certificate.
.TP
.I /usr/share/doc/btms/examples
Example site files, scenarios, a TLS credentials drop-in.
[SEE ALSO]
.BR systemctl (1),
.BR journalctl (1)
ROFF
} > "$include"
help2man --no-info --no-discard-stderr --section=1 \
  --name="battery monitoring system for large UPS installations" \
  --include="$include" --output="$out" "$btms"

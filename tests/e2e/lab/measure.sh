#!/usr/bin/env bash
# Measure a urlcheck binary against the issue-9 lab (servers.sh), curl as
# ground truth. Usage: bash tests/e2e/lab/measure.sh BINARY [measure.py options]
#   e.g. bash tests/e2e/lab/measure.sh /tmp/before/target/release/urlcheck
#        QUICK=1 ...   200-URL lists, to test the script (about 2 minutes)
#        ... --repeat 2  every load cell twice (about 11 minutes; default run about 6)
#        ... --only ID,ID  only these scenarios (ids as in measure.py)
#        LAB_OUT=DIR   where results go (default target/e2e/lab-results/NAME)
# Installs what is missing (lab_install), makes fresh certificates, starts every
# server on 127.0.0.1:18500-18999 and stops them all when it ends.
set -euo pipefail
bin=${1:?usage: measure.sh BINARY}
shift
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[ -x "$bin" ] || { echo "measure.sh: $bin is not executable" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=servers.sh
source "$here/servers.sh"
label=${LAB_LABEL:-$(basename "$(dirname "$(dirname "$(dirname "$bin")")")")}
out=${LAB_OUT:-$LAB_ROOT/target/e2e/lab-results/$label}

lab_install
lab_stop_all 2>/dev/null || true   # leftovers of an interrupted run
rm -rf "$LAB_RUN" "$out"
mkdir -p "$LAB_RUN" "$out"
trap lab_stop_all EXIT
lab_start_all
# More open files for W=128 over many connections (urlcheck raises its own).
ulimit -n 65536 2>/dev/null || true
quick=()
[ "${QUICK:-0}" = 1 ] && quick=(--quick)
LAB_VENV=$LAB_VENV python3 "$here/measure.py" --bin "$bin" --run "$LAB_RUN" --out "$out" \
  "${quick[@]}" "$@"
echo "measure.sh: results in $out/results.md"

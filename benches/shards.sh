#!/usr/bin/env bash
# Benchmark for --shard: 1,000,000 URLs checked by one process, and by 8
# processes that each take one shard (--shard K/8, as a CI matrix would),
# against a real local nginx; then the merge of the 8 outputs with
# --replay into JUnit and JSON Lines. Reports wall time, total CPU (user +
# system of every process) and peak memory, and checks that the shards'
# records are exactly the single run's lines.
#
#   bash benches/shards.sh           # 1,000,000 URLs: about 3 minutes on 2 cores
#   URLS=100000 bash benches/shards.sh
#
# Installs nginx-light and GNU time if missing; builds urlcheck in release
# mode. Output: a Markdown table on stdout, also in benches/shards.md. Not
# run by CI: the numbers mean something only on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/bench/shards
prefix=$work/nginx
PORT=18586
URLS=${URLS:-1000000}
SHARDS=${SHARDS:-8}
WORKERS=${WORKERS:-64}

log() { printf 'shards bench: %s\n' "$*" >&2; }
# shellcheck source=benches/nginx.sh
source "$root/benches/nginx.sh"

missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
log "building urlcheck (release)"
cargo build --release --locked -q
bin=$root/target/release/urlcheck

rm -rf "$work" && mkdir -p "$work/out"
start_nginx "$prefix" "127.0.0.1:$PORT"
list=$work/urls.txt
python3 -c "
import sys
w = sys.stdout.write
for i in range($URLS):
    w(f'http://127.0.0.1:$PORT/page/{i}\n')
" > "$list"
sleep 0.5

# /usr/bin/time's wall, user, system and peak RSS of one command.
timed() { /usr/bin/time -f '%e %U %S %M' -o "$1" "${@:2}"; }

log "one process: $URLS URLs"
timed "$work/one.time" "$bin" -q -f jsonl -w "$WORKERS" "$list" > "$work/one.jsonl"

log "$SHARDS processes, one shard each"
start=$(date +%s.%N)
for k in $(seq 1 "$SHARDS"); do
  timed "$work/shard-$k.time" "$bin" -q -f jsonl -w "$WORKERS" --shard "$k/$SHARDS" "$list" \
    > "$work/out/shard-$k.jsonl" &
done
wait
end=$(date +%s.%N)

log "merging with --replay"
timed "$work/merge-junit.time" sh -c "cat '$work'/out/shard-*.jsonl | '$bin' -q --replay - -f junit > '$work/all.xml'"
timed "$work/merge-jsonl.time" sh -c "cat '$work'/out/shard-*.jsonl | '$bin' -q --replay - -f jsonl > '$work/all.jsonl'"

python3 - "$work" "$URLS" "$SHARDS" "$start" "$end" <<'PY' | tee "$root/benches/shards.md"
import json, sys, glob, os
work, urls, shards, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def t(name):
    wall, user, sys_, rss = open(f"{work}/{name}.time").read().split()[-4:]
    return float(wall), float(user) + float(sys_), int(rss) / 1024
def lines(path):
    with open(path) as f:
        return {(r["line"], r["url"], r["ok"]) for r in map(json.loads, f)}
one = lines(f"{work}/one.jsonl")
merged = lines(f"{work}/all.jsonl")
sizes = [sum(1 for _ in open(p)) for p in sorted(glob.glob(f"{work}/out/shard-*.jsonl"))]
assert len(one) == urls and merged == one, "the shards' records are not the single run's lines"
assert all(ok for _, _, ok in one), "a check failed"
w1, c1, m1 = t("one")
shard_times = [t(f"shard-{k}") for k in range(1, shards + 1)]
cs = sum(c for _, c, _ in shard_times)
ms = max(m for _, _, m in shard_times)
wj, cj, mj = t("merge-junit")
wl, cl, ml = t("merge-jsonl")
cases = open(f"{work}/all.xml").read().count("<testcase ")
assert cases == urls, cases
print(f"### --shard: {urls:,} URLs, one process vs {shards} shards ({os.cpu_count()} cores, nginx on loopback)\n")
print("| | wall | CPU (user+sys, all processes) | peak RSS (largest process) |")
print("|---|---|---|---|")
print(f"| one process | {w1:.1f} s | {c1:.1f} s | {m1:.0f} MB |")
print(f"| {shards} processes, --shard K/{shards} | {end - start:.1f} s | {cs:.1f} s | {ms:.0f} MB |")
print(f"| merge: --replay - -f junit | {wj:.1f} s | {cj:.1f} s | {mj:.0f} MB |")
print(f"| merge: --replay - -f jsonl | {wl:.1f} s | {cl:.1f} s | {ml:.0f} MB |")
print()
spread = (max(sizes) - min(sizes)) / (urls / shards) * 100
print(f"Shard sizes: {', '.join(f'{s:,}' for s in sizes)} (largest minus smallest: {spread:.2f}% of a shard).")
print(f"The merged records are exactly the single run's {urls:,} lines; the JUnit file has {cases:,} test cases.")
PY

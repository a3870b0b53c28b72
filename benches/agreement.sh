#!/usr/bin/env bash
# Agreement with lychee on real documents: the links urlcheck --dry-run
# finds in a Markdown corpus against lychee --dump on the same files, as
# sets of distinct URLs (with and without fragments) and as counts per URL.
# Usage: bash benches/agreement.sh DIR   (every *.md under DIR)
# lychee 0.24.2 is installed into target/bench/tools as benches/run.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:?usage: bash benches/agreement.sh DIR}
work=$root/target/bench/agreement
tools=$root/target/bench/tools
mkdir -p "$work"
# shellcheck source=benches/tools.sh
source "$root/benches/tools.sh"
install_lychee "$tools" 0.24.2 "$work"
cargo build --release --locked -q
urlcheck=$root/target/release/urlcheck

cd "$dir"
mapfile -t files < <(find . -name '*.md' | sort)
echo "agreement: ${#files[@]} Markdown files under $dir" >&2
"$urlcheck" --dry-run --check-fragments "${files[@]}" 2>"$work/urlcheck.err" > "$work/urlcheck.tsv"
"$lychee" --dump "${files[@]}" > "$work/lychee.txt" 2>"$work/lychee.err"

# Distinct URLs, with fragments.
cut -f1 "$work/urlcheck.tsv" | sort -u > "$work/u.txt"
sort -u "$work/lychee.txt" > "$work/l.txt"
# Without fragments (urlcheck checks a URL once, fragments aside, unless
# --check-fragments).
sed 's/#.*//' "$work/u.txt" | sort -u > "$work/u-nofrag.txt"
sed 's/#.*//' "$work/l.txt" | sort -u > "$work/l-nofrag.txt"
# Places per URL: urlcheck's "+N more", lychee's repeated lines.
awk -F'\t' '{n=1; if ($3 ~ /^\+/) {split($3,a," "); n=1+substr(a[1],2)}; print $1"\t"n}' \
  "$work/urlcheck.tsv" | sort > "$work/u-counts.txt"
sort "$work/lychee.txt" | uniq -c | awk '{print $2"\t"$1}' | sort > "$work/l-counts.txt"

report() {
  local name=$1 a=$2 b=$3
  printf '%-32s urlcheck %6d  lychee %6d  only urlcheck %4d  only lychee %4d\n' "$name" \
    "$(wc -l < "$a")" "$(wc -l < "$b")" \
    "$(comm -23 "$a" "$b" | wc -l)" "$(comm -13 "$a" "$b" | wc -l)"
}
report "distinct URLs with fragments" "$work/u.txt" "$work/l.txt"
report "distinct URLs without fragments" "$work/u-nofrag.txt" "$work/l-nofrag.txt"
report "URL and count of places" "$work/u-counts.txt" "$work/l-counts.txt"
echo "links (every place): urlcheck $(awk -F'\t' '{s+=$2} END {print s}' "$work/u-counts.txt"), lychee $(wc -l < "$work/lychee.txt")"
for side in "only urlcheck:23" "only lychee:13"; do
  name=${side%%:*} flag=${side##*:}
  diff=$(comm -"$flag" "$work/u.txt" "$work/l.txt" | head -20)
  [ -z "$diff" ] || printf '%s:\n%s\n' "$name" "$diff"
done

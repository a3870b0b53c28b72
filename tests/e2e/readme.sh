#!/usr/bin/env bash
# The README's examples that need no network, run as written: each command
# below must appear in README.md word for word (the script fails if the
# README changes it), and runs against a server on loopback, with a
# urls.txt of loopback URLs, in a scratch folder. Also the documentation's
# own links: every local file and #anchor that README.md, docs/ and the other
# guides link to must exist (their web links need the network: left out).
# Usage: bash tests/e2e/readme.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$root/target/e2e-readme
PORT=18790

log() { printf 'e2e-readme: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

command -v jq >/dev/null || {
  log "installing jq"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
}
cargo build --locked -q
rm -rf "$work" && mkdir -p "$work/bin" "$work/site" "$work/home"
ln -s "$root/target/debug/urlcheck" "$work/bin/urlcheck"
export PATH=$work/bin:$PATH HOME=$work/home

# A command of the README, word for word: it must be there.
readme() {
  grep -qF -- "$1" "$root/README.md" || fail "README.md no longer says: $1"
  printf '%s\n' "$1"
}

printf 'ok\n' > "$work/site/index.html"
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$work/site" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break; sleep 0.1; done

cd "$work"
printf 'http://127.0.0.1:%s/\nhttp://127.0.0.1:%s/missing\n' "$PORT" "$PORT" > urls.txt

# Quick start: a green run offline (the port is ours, not 8000).
cmd=$(readme 'cargo run --locked -- http://127.0.0.1:8000/')
urlcheck "http://127.0.0.1:$PORT/" > out.txt 2>&1 || fail "$cmd: $(cat out.txt)"
grep -q '^ok    200' out.txt || fail "$cmd: $(cat out.txt)"

# At a terminal.
cmd=$(readme 'urlcheck --workers 3 urls.txt')
set +e; eval "$cmd" > out.txt 2> err.txt; code=$?; set -e
[ "$code" = 1 ] || fail "$cmd exited $code"
grep -q "status 404" out.txt || fail "$cmd: $(cat out.txt)"
grep -q "Summary: 2 URLs" err.txt || fail "$cmd: $(cat err.txt)"

# In a script.
cmd=$(readme "urlcheck --format jsonl urls.txt | jq -r 'select(.ok|not) | \"\\(.url) \\(.error)\"'")
out=$(eval "$cmd" 2>/dev/null || true)
[ "$out" = "http://127.0.0.1:$PORT/missing status 404, expected 200-299" ] || fail "$cmd gave: $out"
readme 'some-generator | urlcheck --format csv > results.csv' >/dev/null
set +e; cat urls.txt | urlcheck --format csv > results.csv 2>/dev/null; set -e
[ "$(head -1 results.csv | cut -d, -f1-3)" = "url,ok,status" ] || fail "csv header: $(head -1 results.csv)"
[ "$(wc -l < results.csv)" = 3 ] || fail "csv rows: $(cat results.csv)"

# In CI.
cmd=$(readme 'urlcheck -q --format csv urls.txt > results.csv || exit 1')
if (eval "$cmd") 2> err.txt; then fail "$cmd passed with a 404 in the list"; fi
[ ! -s err.txt ] || fail "-q wrote to stderr: $(cat err.txt)"
cmd=$(readme 'urlcheck -q --only-failures urls.txt')
set +e; out=$(eval "$cmd" 2>&1); set -e
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q '/missing' \
  || fail "$cmd gave: $out"

# Completions and the man page.
readme 'mkdir -p ~/.local/share/bash-completion/completions ~/.local/share/man/man1' | bash
for cmd in \
  'urlcheck --generate complete-bash > ~/.local/share/bash-completion/completions/urlcheck' \
  'urlcheck --generate man > ~/.local/share/man/man1/urlcheck.1'; do
  eval "$(readme "$cmd")"
done
grep -q '_urlcheck' "$HOME/.local/share/bash-completion/completions/urlcheck" || fail "no bash completion"
grep -q '^\.TH urlcheck' "$HOME/.local/share/man/man1/urlcheck.1" || fail "no man page"

# A whole site: the documentation's own links, offline.
readme 'urlcheck README.md docs/*.md --check-fragments' >/dev/null
cd "$root"
set +e
urlcheck -f jsonl --check-fragments --exclude '^https?://' \
  README.md CONTRIBUTING.md ARCHITECTURE.md CHANGELOG.md docs/*.md benches/README.md \
  > "$work/docs.jsonl" 2> "$work/docs.err"
code=$?
set -e
if [ "$code" != 0 ]; then
  jq -r 'select(.ok|not) | "\(.source):\(.line):\(.column): \(.url) \(.error)"' "$work/docs.jsonl" >&2
  fail "the documentation links to files or anchors that are not there"
fi
log "ok: $(wc -l < "$work/docs.jsonl") local links and anchors of the documentation, and the README's offline examples"

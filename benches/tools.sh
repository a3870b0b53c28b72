# shellcheck shell=bash
# The peers the benchmarks run, installed once into target/bench/tools.
# Sourced by benches/run.sh, benches/sites.sh and benches/agreement.sh.

# install_lychee TOOLS VERSION LOGDIR: lychee VERSION into TOOLS/bin, built
# with cargo (minutes, the first time); its path in $lychee.
install_lychee() {
  local tools=$1 version=$2 logdir=$3
  lychee=$tools/bin/lychee
  if [ ! -x "$lychee" ]; then
    printf 'bench: installing lychee %s into %s (minutes; log: %s/lychee-install.log)\n' \
      "$version" "$tools" "$logdir" >&2
    mkdir -p "$logdir"
    cargo install lychee --locked --version "$version" --root "$tools" \
      > "$logdir/lychee-install.log" 2>&1 \
      || { printf 'bench: lychee install failed, see %s/lychee-install.log\n' "$logdir" >&2; exit 1; }
  fi
}

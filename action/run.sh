#!/usr/bin/env bash
# The GitHub Action's second step: run urlcheck and say what it found.
#
# urlcheck itself writes the annotations (GITHUB_ACTIONS=true) and one job
# summary (appended to GITHUB_STEP_SUMMARY): this step only turns them off
# when asked, adds the reports asked for, sets the `exit_code` output, and
# fails the step on a failed check when asked to (and always on a usage
# error or a stop).
#
# Inputs (environment): ARGS (split on whitespace, globs expanded: write
# `docs/*.md` as it is), FAIL, SUMMARY, ANNOTATIONS (true or false), REPORT
# (FORMAT:PATH entries, whitespace-separated), GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY.
set -uo pipefail

log() { printf 'urlcheck-action: %s\n' "$*" >&2; }

is_true() {
  case "$1" in
    true | True | TRUE | yes | 1) return 0 ;;
    false | False | FALSE | no | 0 | '') return 1 ;;
    *) log "'$1' is not true or false"; exit 2 ;;
  esac
}

# Word splitting and globbing on purpose: ARGS is a command line.
# shellcheck disable=SC2206
args=(${ARGS:-})
# shellcheck disable=SC2206
for report in ${REPORT:-}; do
  args+=(--report "$report")
done

summary=${GITHUB_STEP_SUMMARY:-}
if is_true "${ANNOTATIONS:-true}"; then
  export GITHUB_ACTIONS=true
  if ! is_true "${SUMMARY:-true}"; then
    unset GITHUB_STEP_SUMMARY
  fi
else
  # Without annotations urlcheck does not know it is under GitHub: the
  # summary, if wanted, is then its Markdown report.
  unset GITHUB_ACTIONS GITHUB_STEP_SUMMARY
  if is_true "${SUMMARY:-true}" && [ -n "$summary" ]; then
    args+=(--report "markdown:$summary")
  fi
fi

# ${args[@]+...}: an empty array under set -u in bash 3.2 (macOS).
urlcheck ${args[@]+"${args[@]}"}
code=$?
printf 'exit_code=%s\n' "$code" >> "${GITHUB_OUTPUT:?}"
case "$code" in
  0) ;;
  1)
    if is_true "${FAIL:-true}"; then
      log "a check failed (urlcheck exited 1)"
      exit 1
    fi
    log "a check failed (urlcheck exited 1); the step passes, as fail is false"
    ;;
  *)
    # A usage error or a stop is never a result to pass over.
    log "urlcheck exited $code: see its message above (docs/reference.md, Exit codes)"
    exit "$code"
    ;;
esac
exit 0

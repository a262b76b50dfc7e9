#!/bin/sh
# Vigil in any CI system: the same steps as .github/workflows/vigil.yml, as plain POSIX shell.
#
#   ci.sh check     validate the policy; writes vigil.sarif (upload it to code scanning)
#   ci.sh plan      on a pull request: writes plan.md (post it as a comment) against $VIGIL_BASE
#   ci.sh release   on main: compile and sign bundles into $VIGIL_OUT with $VIGIL_SIGNING_KEY
#   ci.sh approve   a release approver adds a second signature with $VIGIL_APPROVER_KEY
#   ci.sh publish   push $VIGIL_OUT to an OCI registry ($VIGIL_OCI), or copy it to $VIGIL_PUBLISH_DIR
#   ci.sh pr        check, then plan (what a pull-request pipeline runs)
#   ci.sh main      check, release, publish (what a pipeline on main runs)
#
# Settings (environment):
#   VIGIL             how to run vigil (default: `npx --no-install vigil`)
#   VIGIL_DIR         the policy directory (default: .)
#   VIGIL_BASE        the ref a pull request is compared with (default: origin/main)
#   VIGIL_OUT         the bundle repository directory (default: out)
#   VIGIL_TRUST       the pinned trust root (default: trust/root.json)
# Secrets are read from files whose paths are in the environment, never from arguments.
set -eu

VIGIL=${VIGIL:-npx --no-install vigil}
DIR=${VIGIL_DIR:-.}
BASE=${VIGIL_BASE:-origin/main}
OUT=${VIGIL_OUT:-out}
TRUST=${VIGIL_TRUST:-trust/root.json}

step_check() {
  # SARIF for code scanning, and readable diagnostics in the log; the exit code fails the job.
  status=0
  $VIGIL check "$DIR" --format sarif > vigil.sarif || status=$?
  $VIGIL check "$DIR" || true
  return "$status"
}

step_plan() {
  $VIGIL plan "$DIR" --base "$BASE" --format md > plan.md
  $VIGIL plan "$DIR" --base "$BASE" --format github
}

step_release() {
  : "${VIGIL_SIGNING_KEY:?set VIGIL_SIGNING_KEY to the path of the CI signing key}"
  $VIGIL compile "$DIR" --out "$OUT" --key "$VIGIL_SIGNING_KEY" --trust "$TRUST"
}

step_approve() {
  : "${VIGIL_APPROVER_KEY:?set VIGIL_APPROVER_KEY to the path of the approver key}"
  $VIGIL sign "$OUT" --key "$VIGIL_APPROVER_KEY"
  $VIGIL verify "$OUT" --trust "$TRUST"
}

step_publish() {
  if [ -n "${VIGIL_OCI:-}" ]; then
    $VIGIL publish "$OUT" --oci "$VIGIL_OCI" --https
  elif [ -n "${VIGIL_PUBLISH_DIR:-}" ]; then
    mkdir -p "$VIGIL_PUBLISH_DIR"
    cp -R "$OUT"/. "$VIGIL_PUBLISH_DIR"/
  else
    echo "publish: set VIGIL_OCI or VIGIL_PUBLISH_DIR" >&2
    return 2
  fi
}

case "${1:-}" in
  check) step_check ;;
  plan) step_plan ;;
  release) step_release ;;
  approve) step_approve ;;
  publish) step_publish ;;
  pr) step_check && step_plan ;;
  main) step_check && step_release && step_publish ;;
  *)
    sed -n '2,18p' "$0" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The release workflow's publish step (.github/workflows/release.yml), kept in a file so that the tests can
# run it against the local hub (tests/test_release_workflow.py).
#
# Publishes runs/<run name> with `publisher publish --hub hf --json` to HF_ENDPOINT (default huggingface.co),
# writes the result into $GITHUB_STEP_SUMMARY and publish.json, and exits with publish's exit code.
#   PUBLISH_USER  handle[-handle...] (normalised as `make publish` does: @Demo -> demo)
#   HF_TOKEN      write token (the workflow passes the secret to this step only)
#   HF_NAMESPACE  target namespace; empty: the token's own user name
#   TAG           tag the commit (empty: no tag)      DRY_RUN   1: plan only, no write request
#   PYTHON        interpreter with publisher installed (default .venv/bin/python)
set -euo pipefail
PYTHON="${PYTHON:-.venv/bin/python}"
SUMMARY="${GITHUB_STEP_SUMMARY:-/dev/stdout}"

run_name=$("$PYTHON" -m publisher.data.make_user "${PUBLISH_USER:-demo}") || { echo "error: $run_name" >&2; exit 2; }
namespace="${HF_NAMESPACE:-}"
if [ -z "$namespace" ] && [ -n "${HF_TOKEN:-}" ]; then
    # an ordinary user's token may write its own namespace: publish there unless told otherwise
    namespace=$("$PYTHON" -c 'from huggingface_hub import whoami; print(whoami()["name"])') \
        || { echo "error: HF_TOKEN was refused by ${HF_ENDPOINT:-https://huggingface.co} (whoami)" >&2; exit 2; }
fi

args=(publish "runs/$run_name" --hub hf --json)
[ -n "$namespace" ] && args+=(--namespace "$namespace")
[ -n "${TAG:-}" ] && args+=(--tag "$TAG")
case "${DRY_RUN:-}" in 1|true|yes) args+=(--dry-run) ;; esac

set +e
"$PYTHON" -m publisher "${args[@]}" > publish.json
code=$?
set -e

{
    echo "## publisher publish: $run_name"
    "$PYTHON" - <<'PY'
import json

try:
    doc = json.load(open("publish.json", encoding="utf-8"))
except ValueError:
    doc = {"status": "failed", "error": {"code": "no_result", "message": "no JSON result (see the step's log)"}}
error = doc.get("error")
if isinstance(error, dict):  # {code, message, hint}
    hint = f" (hint: {error['hint']})" if error.get("hint") else ""
    error = f"`{error.get('code')}`: {error.get('message')}{hint}"
verification = doc.get("verification") or {}
print(f"- status: **{doc.get('status')}**")
print(f"- repo: {doc.get('model_url') or doc.get('repo_id') or '-'}")
print(f"- commit: {doc.get('commit_url') or '-'}")
if doc.get("tag"):
    print(f"- tag: {doc['tag']}")
if verification:
    ok = verification.get("ok")
    print(f"- verification: {'ok' if ok else 'FAILED at ' + str(verification.get('stage')) + ': ' + str(verification.get('error'))}")
if error:
    print(f"- error {error}")
PY
    echo
    echo '```json'
    cat publish.json
    echo '```'
} >> "$SUMMARY"
exit $code

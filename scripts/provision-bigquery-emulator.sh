#!/usr/bin/env bash
# Provisions the Python venv that runs the BigQuery emulator (bqemulator behind Conduit's adapter,
# emulator/bigquery/conduit_bigquery.py; see docs/bigquery-emulator.md) at .conduit/bigquery-venv
# ($CONDUIT_TOOLS_DIR/bigquery-venv when set). Idempotent like provision-emulator.sh: rebuilt only when
# emulator/bigquery/requirements.txt or the Python changed (a hash stamp in the venv); silent otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUIREMENTS="$ROOT/emulator/bigquery/requirements.txt"
CONDUIT_DIR="${CONDUIT_TOOLS_DIR:-$ROOT/.conduit}"
VENV="$CONDUIT_DIR/bigquery-venv"
STAMP="$VENV/.conduit-requirements.sha256"
PYTHON="${CONDUIT_PYTHON:-python3}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "provision-bigquery-emulator: $PYTHON not found; bqemulator needs Python >= 3.11" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "provision-bigquery-emulator: $("$PYTHON" --version 2>&1) is too old; bqemulator needs Python >= 3.11" >&2
  exit 1
fi

wanted="$( { cat "$REQUIREMENTS"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"

up_to_date() {
  [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]]
}

if up_to_date; then
  exit 0
fi

mkdir -p "$CONDUIT_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CONDUIT_DIR/provision-bigquery-emulator.lock"
  flock 9
  if up_to_date; then
    exit 0
  fi
fi

echo "provision-bigquery-emulator: building $VENV from $REQUIREMENTS" >&2
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQUIREMENTS"
# Fail now, not in the middle of a test run, if the pinned set does not import with the adapter.
(cd "$ROOT/emulator/bigquery" && "$VENV/bin/python" -c 'import conduit_bigquery, numpy' >/dev/null)
# Written last: an interrupted build has no stamp and is rebuilt next time.
echo "$wanted" >"$STAMP"
echo "provision-bigquery-emulator: ready ($("$VENV/bin/python" -m pip show bqemulator 2>/dev/null | sed -n 's/^Version: /bqemulator /p'))" >&2

#!/usr/bin/env bash
# Provisions the Python venv that runs the Snowflake emulator (fakesnow behind our adapter, see
# docs/snowflake-emulator.md) at .conduit/venv ($CONDUIT_TOOLS_DIR/venv when set: an installed
# package's `conduit dev` points it at the per-user cache, src/dev/paths.ts). Idempotent: the venv
# is (re)built only when it is missing or emulator/requirements.txt (or the Python it was built
# with) changed; a hash stamp inside the venv records what it was built from. Silent when there is nothing to do.
# pip's normal cache is used, so a fresh clone provisions in seconds once the cache is warm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUIREMENTS="$ROOT/emulator/requirements.txt"
CONDUIT_DIR="${CONDUIT_TOOLS_DIR:-$ROOT/.conduit}"
VENV="$CONDUIT_DIR/venv"
STAMP="$VENV/.conduit-requirements.sha256"
PYTHON="${CONDUIT_PYTHON:-python3}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "provision-emulator: $PYTHON not found; the Snowflake emulator needs Python >= 3.11" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "provision-emulator: $("$PYTHON" --version 2>&1) is too old; fakesnow needs Python >= 3.11" >&2
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
# Serialise concurrent runs (e.g. two test commands started at once) when flock is available.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CONDUIT_DIR/provision-emulator.lock"
  flock 9
  if up_to_date; then
    exit 0
  fi
fi

echo "provision-emulator: building $VENV from $REQUIREMENTS" >&2
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQUIREMENTS"
# Fail now, not in the middle of a test run, if the pinned set does not import.
"$VENV/bin/python" -c 'import fakesnow.server, uvicorn, pyarrow' >/dev/null
# Written last: an interrupted build has no stamp and is rebuilt next time.
echo "$wanted" >"$STAMP"
echo "provision-emulator: ready ($("$VENV/bin/python" -m pip show fakesnow 2>/dev/null | sed -n 's/^Version: /fakesnow /p'))" >&2

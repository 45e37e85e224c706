#!/usr/bin/env bash
# Gets a checkout ready to run: `npm test`, `npm run demo` and `npm run bench` run this first.
# Idempotent and quiet when nothing changed (well under a second or two):
#   - `npm ci` only when node_modules is missing or package-lock.json / the Node version changed;
#   - incremental TypeScript build into dist/;
#   - the Snowflake emulator's Python venv (scripts/provision-emulator.sh);
#   - the BigQuery emulator's Python venv (scripts/provision-bigquery-emulator.sh);
#   - the Temporal CLI that runs the dev server (scripts/provision-temporal.sh), built in the
#     background while the steps above run because a cold build takes minutes.
# It checks up front for the tools it needs and says what to install when one is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'bootstrap: %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found: install Node.js >= 20.3 (https://nodejs.org/)"
command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js >= 20.3 with npm"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)' \
  || die "Node.js $(node --version) is too old: install Node.js >= 20.3"
command -v python3 >/dev/null 2>&1 || [[ -n "${CONDUIT_PYTHON:-}" ]] \
  || die "python3 not found: install Python >= 3.11 (the Snowflake emulator runs on it)"
command -v zstd >/dev/null 2>&1 \
  || log "zstd not found: workers will stage gzip (3x the compression CPU) and the compression tests fail; install it (Debian: apt-get install zstd)"

# PostgreSQL server binaries: same order as src/dev/postgres.ts (PG_BIN, pg_config --bindir,
# the newest /usr/lib/postgresql/*/bin). Checked here so a missing server fails before the tests.
pg_bin=""
if [[ -n "${PG_BIN:-}" ]]; then
  [[ -x "$PG_BIN/initdb" ]] || die "PG_BIN=$PG_BIN has no initdb: point it at a PostgreSQL server bin directory"
  pg_bin="$PG_BIN"
else
  candidates=()
  if command -v pg_config >/dev/null 2>&1; then
    candidates+=("$(pg_config --bindir 2>/dev/null || true)")
  fi
  while IFS= read -r dir; do candidates+=("$dir"); done < <(
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -rn || true)
  for dir in "${candidates[@]}"; do
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then pg_bin="$dir"; break; fi
  done
  [[ -n "$pg_bin" ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found: install the PostgreSQL server (e.g. \`apt-get install postgresql\`, version >= 14) or set PG_BIN to its bin directory"
fi

# --- Temporal CLI, in the background (the slow step when cold) ---------------------------------
# Job control gives the background job its own process group, so a failure below can stop the
# whole build (bash, go and its compilers) instead of leaving it running behind us.
set -m
bash "$root/scripts/provision-temporal.sh" &
temporal_pid=$!
set +m
trap 'kill -TERM -- "-$temporal_pid" 2>/dev/null || true' EXIT

# --- node_modules ------------------------------------------------------------------------------
[[ -f package-lock.json ]] || die "package-lock.json is missing: cannot do a reproducible install"
lock_hash="$( { sha256sum package-lock.json | cut -d' ' -f1; node --version; } | sha256sum | cut -d' ' -f1)"
lock_stamp="node_modules/.conduit-lock-hash"
if [[ ! -d node_modules || ! -f "$lock_stamp" || "$(cat "$lock_stamp")" != "$lock_hash" ]]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed (see above)"
  printf '%s\n' "$lock_hash" >"$lock_stamp"
fi

# --- TypeScript build (incremental: dist/.tsbuildinfo) -----------------------------------------
# Even a no-op incremental tsc takes seconds, so skip it when nothing it reads is newer than the
# last successful build. The stamp is taken before compiling, so an edit made during the build
# still triggers the next one; directories are compared too, which catches added/removed files.
build_stamp="dist/.conduit-build-stamp"
if [[ ! -f "$build_stamp" || ! -f dist/.tsbuildinfo ]] \
   || [[ -n "$(find src tsconfig.json "$lock_stamp" -newer "$build_stamp" -print -quit)" ]]; then
  mkdir -p dist
  touch "$build_stamp.next"
  node_modules/.bin/tsc -p tsconfig.json || die "TypeScript build failed (see above)"
  # Workers load this prebuilt workflow bundle instead of running webpack at start (src/build-bundle.ts).
  node dist/build-bundle.js >/dev/null || die "building the workflow bundle failed (see above)"
  mv -f "$build_stamp.next" "$build_stamp"
fi

# --- Snowflake emulator venv -------------------------------------------------------------------
[[ -f scripts/provision-emulator.sh ]] || die "scripts/provision-emulator.sh is missing"
bash scripts/provision-emulator.sh || die "provisioning the Snowflake emulator failed (see above)"

# --- BigQuery emulator venv --------------------------------------------------------------------
bash scripts/provision-bigquery-emulator.sh || die "provisioning the BigQuery emulator failed (see above)"

# --- wait for the Temporal CLI -----------------------------------------------------------------
wait "$temporal_pid" || die "provisioning the Temporal CLI failed (see above)"
trap - EXIT

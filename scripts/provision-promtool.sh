#!/usr/bin/env bash
# Provides `promtool` (Prometheus's rule and config checker) for the tests of deploy/prometheus, and
# prints its path. Idempotent and quiet when cached.
#
# It is taken from Debian's `prometheus` package without installing it (installing would set up and
# start a Prometheus daemon): the .deb is downloaded and only its promtool binary is kept, in
# ${CONDUIT_CACHE_DIR:-$HOME/.cache/conduit}/promtool-<version>/.
set -euo pipefail

die() { printf 'provision-promtool: error: %s\n' "$*" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install promtool yourself and set PROMTOOL=/path/to/promtool"
version="$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')"
if [[ -z "$version" || "$version" == "(none)" ]]; then
  apt-get update -qq >&2 || true
  version="$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')"
fi
[[ -n "$version" && "$version" != "(none)" ]] || die "Debian offers no prometheus package here: set PROMTOOL=/path/to/promtool"

cache_dir="${CONDUIT_CACHE_DIR:-$HOME/.cache/conduit}/promtool-${version//[^A-Za-z0-9.+-]/_}"
if [[ ! -x "$cache_dir/promtool" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download -qq "prometheus=$version" 2>/dev/null) || die "apt-get download prometheus=$version failed"
  dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
  "$work/x/usr/bin/promtool" --version >/dev/null || die "the extracted promtool does not run"
  mkdir -p "$cache_dir"
  mv -f "$work/x/usr/bin/promtool" "$cache_dir/promtool"
fi
printf '%s\n' "$cache_dir/promtool"

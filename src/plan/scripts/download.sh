#!/bin/sh
# Downloads into the persistent module cache mount GOFRONTEND_MODULE_CACHE (modules fetched by
# any earlier build are not fetched again), then copies exactly what this go.sum needs from it
# into GOMODCACHE, the step's own output, so builds never depend on what a cache mount happens
# to hold. It works on a copy of the module files of GOFRONTEND_SOURCE_DIR: the go command adds
# lines go.sum lacks in place, and the compiles then report them with Go's own message, while
# the context mount stays read-only (a writable one loses its content-based cache key on
# BuildKit v0.8).
# The module zips (and their lock files) then leave the layer: builds read the extracted trees
# and need each module's .ziphash (checked against go.sum), not its zip, and BuildKit
# checksums, exports and imports every byte the layer holds.
# Usage: download.sh [COMMAND [ARG]...]: COMMAND, a compile of the standard library packages of
# a Gofile's one service into GOCACHE, runs from / meanwhile, at the lowest priority so it only
# takes what the download leaves idle, and is stopped once the modules are in place: the
# service's go build compiles what it did not. Its output is not shown: the service's compile
# reports any failure.
set -eu
if [ $# -gt 0 ]; then
    (
        cd /
        ! command -v nice >/dev/null || exec nice -n 19 "$@"
        exec "$@"
    ) >/dev/null 2>&1 &
    compiling=$!
    trap 'kill "$compiling" 2>/dev/null || true' EXIT
fi
copy=${TMPDIR:-/tmp}/gofrontend-module-files
mkdir -p "$copy" && cp -a "$GOFRONTEND_SOURCE_DIR/." "$copy/"
cd "$copy${PWD#"$GOFRONTEND_SOURCE_DIR"}"
[ "$GOWORK" = off ] || export GOWORK="$copy${GOWORK#"$GOFRONTEND_SOURCE_DIR"}"
GOMODCACHE="$GOFRONTEND_MODULE_CACHE" go mod download -x
GOPROXY="file://$GOFRONTEND_MODULE_CACHE/cache/download" GOPRIVATE='' GONOPROXY='' GONOSUMDB='' GOSUMDB=off \
    go mod download
[ ! -d "$GOMODCACHE/cache/download" ] ||
    find "$GOMODCACHE/cache/download" -type f \( -name '*.zip' -o -name '*.lock' \) -exec rm -f {} +

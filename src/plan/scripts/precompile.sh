#!/bin/sh
# Compiles packages into GOCACHE ahead of the services: runs its arguments, a go build. A
# package that fails to compile here fails again, with its error, in the services that import
# it, so this step never fails the build.
# Without GOFRONTEND_SEED_DIR (no cache layers) it writes a constant marker to
# GOFRONTEND_OUTPUT_DIR, which the service steps mount to wait for it. With it, the output is
# the GOCACHE entries this compile used or wrote, minus those its seed layers hold. Go refreshes
# an entry's time when it uses one older than an hour, so entries younger than that are first
# set two hours back (under Go's five-day trim): the times after the start then name what was
# used.
if [ -z "${GOFRONTEND_SEED_DIR:-}" ]; then
    "$@" || echo 'gofrontend: some packages did not compile here; the services that import them will report it' >&2
    echo compiled >"$GOFRONTEND_OUTPUT_DIR/done"
    exit 0
fi
# shellcheck source=src/plan/scripts/copy.sh
. "$(dirname "$0")/copy.sh"
tmp=${TMPDIR:-/tmp}
mkdir -p "$tmp"
sh "$(dirname "$0")/seed.sh" || true
TZ=UTC0 find "$GOCACHE" -type f -name '*-[ad]' -mmin -65 -exec touch -t "$(TZ=UTC+2 date +%Y%m%d%H%M.%S)" {} +
# A minute back: everything older was just set two hours back, and a file written in the same
# clock tick as the marker would not count as newer than it.
TZ=UTC0 touch -t "$(TZ=UTC+0:01 date +%Y%m%d%H%M.%S)" "$tmp/gofrontend-start"
"$@" || echo 'gofrontend: some packages did not compile here; the services that import them will report it' >&2
(cd "$GOCACHE" && find . -type f -name '*-[ad]' -newer "$tmp/gofrontend-start") >"$tmp/gofrontend-used"
while read -r f; do
    for seed in "$GOFRONTEND_SEED_DIR"/*/; do
        [ -e "$seed/$f" ] && continue 2
    done
    echo "$f"
done <"$tmp/gofrontend-used" >"$tmp/gofrontend-kept"
[ ! -s "$tmp/gofrontend-kept" ] || copy_listed "$GOCACHE" "$GOFRONTEND_OUTPUT_DIR" "$tmp/gofrontend-kept" ||
    echo 'gofrontend: could not keep the compiled packages in a layer; a builder without GOCACHE compiles them again' >&2
rm -f "$tmp/gofrontend-start" "$tmp/gofrontend-used" "$tmp/gofrontend-kept"

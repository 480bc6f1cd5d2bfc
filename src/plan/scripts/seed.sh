#!/bin/sh
# Copies the GOCACHE entries of the layers under GOFRONTEND_SEED_DIR that GOCACHE lacks into it
# (a warm builder copies nothing), with the copy's time as their time so Go's trim of entries
# unused for five days never takes them. Outputs (-d) go first, from every layer, then the
# action entries (-a) naming them: Go checks each output's size against its entry and compiles
# again on a mismatch, so a step copying beside another only costs time. Plain POSIX tools.
# shellcheck source=src/plan/scripts/copy.sh
. "$(dirname "$0")/copy.sh"
tmp=${TMPDIR:-/tmp}
mkdir -p "$tmp" "$GOCACHE"
# missing_from_gocache LAYER PATTERN: the entries of LAYER named like PATTERN that GOCACHE
# lacks, one a line.
missing_from_gocache() {
    (cd "$1" && find . -type f -name "$2" | while read -r f; do
        [ -e "$GOCACHE/$f" ] || echo "$f"
    done)
}
# A warm builder's GOCACHE holds every entry, and its steps (a dependency change re-runs every
# service) then need no lock. grep stops at the first missing entry.
lacks_an_entry() {
    for seed in "$GOFRONTEND_SEED_DIR"/*/; do
        [ -d "$seed" ] || continue
        missing_from_gocache "$seed" '*-[ad]' | grep -q . && return 0
    done
    return 1
}
lacks_an_entry || exit 0
# Steps sharing a GOCACHE (a build's services, its test steps) start together: two copying the
# same entry at once make tar fail ("File exists") and the step compile what its layer holds.
# One copies at a time; the others then find the entries there. A lock older than a minute
# was left by a step that was stopped.
lock=$GOCACHE/gofrontend-seeding
until mkdir "$lock" 2>/dev/null; do
    [ -z "$(find "$lock" -maxdepth 0 -mmin +1 2>/dev/null)" ] || rmdir "$lock" 2>/dev/null
    sleep 0.1
done
trap 'rmdir "$lock" 2>/dev/null' EXIT
for kind in d a; do
    for seed in "$GOFRONTEND_SEED_DIR"/*/; do
        [ -d "$seed" ] || continue
        missing_from_gocache "$seed" "*-$kind" >"$tmp/gofrontend-missing"
        [ -s "$tmp/gofrontend-missing" ] || continue
        copy_listed "$seed" "$GOCACHE" "$tmp/gofrontend-missing" ||
            echo 'gofrontend: could not copy precompiled packages into GOCACHE; compiling them here' >&2
    done
done
rm -f "$tmp/gofrontend-missing"

#!/bin/sh
# Gathers the test steps' reports (each step's under GOFRONTEND_REPORTS_DIR/N, laid out by
# import path: report.json and status.txt) into GOFRONTEND_OUTPUT_DIR, and writes summary.txt there:
# one line per package, `FAIL <import path>` or `ok <import path>`, the failures first, then
# `? <import path> [no test files]` for each argument (packages matched without tests), as
# go test lists them.
# Usage: gather.sh [IMPORT PATH]...
out=$GOFRONTEND_OUTPUT_DIR
for report in "$GOFRONTEND_REPORTS_DIR"/*/; do
    if [ -d "$report" ]; then
        cp -R "$report." "$out/" || exit 1
    fi
done
find "$out" -type f -name status.txt | sort | while read -r status; do
    package=${status#"$out"/}
    package=${package%/status.txt}
    if [ "$(cat "$status")" = 0 ]; then
        echo "ok $package"
    else
        echo "FAIL $package"
    fi
done >"$out/summary.tmp"
{
    grep '^FAIL ' "$out/summary.tmp"
    grep '^ok ' "$out/summary.tmp"
    for package in "$@"; do
        echo "? $package [no test files]"
    done
} >"$out/summary.txt"
rm -f "$out/summary.tmp"

#!/bin/sh
# Runs one package's tests: `go test -json` into its report ($GOFRONTEND_REPORT_DIR/report.json,
# the exit status in `status.txt` beside it), shown as go test shows them without -v (report.awk).
# A failure fails the step; with GOFRONTEND_TEST_REPORT=record it is recorded and the step
# succeeds, so every package's report can be exported and CI can fail after publishing them.
# Usage: test.sh LABEL COMMAND [ARG]...: LABEL names the step in a failure's last line.
# With GOFRONTEND_SEED_DIR set, first copies the precompiled packages into GOCACHE (seed.sh).
label=$1
shift
here=$(dirname "$0")
if [ -n "${GOFRONTEND_SEED_DIR:-}" ]; then
    sh "$here/seed.sh" || true
fi
mkdir -p "$HOME" "$TMPDIR" "$GOFRONTEND_REPORT_DIR"
report=$GOFRONTEND_REPORT_DIR/report.json
"$@" >"$report" 2>"$TMPDIR/gofrontend-test.log"
status=$?
awk -f "$here/report.awk" "$report" >&2
cat "$TMPDIR/gofrontend-test.log" >&2
echo "$status" >"$GOFRONTEND_REPORT_DIR/status.txt"
[ "$status" = 0 ] && exit 0
if [ "${GOFRONTEND_TEST_REPORT:-}" = record ]; then
    echo "gofrontend: [$label] failed; recorded in its report" >&2
    exit 0
fi
echo "gofrontend: [$label] failed; go test's output is above" >&2
exit 1

#!/bin/sh
# Runs one go command with its output streamed as it comes, and after a failure the go command
# reports in terms of module files or credentials, names the flag or command that fixes it.
# Usage: go.sh LABEL COMMAND [ARG]...: LABEL names the step in the failure's last line.
# With GOFRONTEND_SEED_DIR set, first copies the precompiled packages into GOCACHE (seed.sh).
label=$1
shift
if [ -n "${GOFRONTEND_SEED_DIR:-}" ]; then
    sh "$(dirname "$0")/seed.sh" || true
fi
tmp=${TMPDIR:-/tmp}
mkdir -p "$tmp"
exec 3>&1
{ "$@" 2>&1 >&3 3>&-; echo $? >"$tmp/go.status"; } | tee "$tmp/go.log" >&2
[ "$(cat "$tmp/go.status")" = 0 ] && exit 0
# shellcheck disable=SC2016 # the backquotes are for the reader, not this shell
grep -qe 'missing go.sum entry' -e 'updates to go.mod needed' -e 'no required module provides' \
    -e 'import lookup disabled by -mod=' "$tmp/go.log" &&
    echo 'gofrontend: run `go mod tidy` in the module and commit go.mod and go.sum' >&2
# shellcheck disable=SC2016 # $HOME is for the user's shell, not this one
grep -qe '401 Unauthorized' -e '403 Forbidden' -e 'terminal prompts disabled' "$tmp/go.log" &&
    echo 'gofrontend: a module source asked for credentials: pass a netrc file with --secret id=netrc,src=$HOME/.netrc' >&2
# shellcheck disable=SC2016 # $HOME is for the user's shell, not this one
grep -q 'Host key verification failed' "$tmp/go.log" &&
    echo 'gofrontend: pass the SSH hosts keys with --secret id=known_hosts,src=$HOME/.ssh/known_hosts' >&2
grep -q 'Permission denied (publickey' "$tmp/go.log" &&
    echo 'gofrontend: forward an SSH agent holding the key with --ssh default' >&2
# The go command tries https, git+ssh and ssh without showing why each failed.
# shellcheck disable=SC2016 # $HOME is for the user's shell, not this one
grep -q 'no secure protocol found for repository' "$tmp/go.log" &&
    echo 'gofrontend: git reached the repository over no protocol; over SSH it needs an agent holding the key (--ssh default) and the hosts keys (--secret id=known_hosts,src=$HOME/.ssh/known_hosts)' >&2
echo "gofrontend: [$label] failed; the go command's output is above" >&2
exit 1

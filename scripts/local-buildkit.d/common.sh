# local-buildkit's shared helpers: log and die, timing, each engine's docker client,
# and removing a tree safely. Sourced by scripts/local-buildkit after its settings.
# shellcheck shell=bash

log() { printf '[local-buildkit] %s\n' "$*" >&2; }
die() { printf '[local-buildkit] ERROR: %s\n' "$*" >&2; exit 1; }

# die with the last lines of a log file, so a failed daemon explains itself.
die_with_log() {
  local msg=$1 logfile=$2
  {
    printf '[local-buildkit] ERROR: %s\n' "$msg"
    if [[ -f $logfile ]]; then
      printf '[local-buildkit] last lines of %s:\n' "$logfile"
      tail -n 25 "$logfile" | sed 's/^/    /'
    fi
  } >&2
  exit 1
}

need_root() { [[ $(id -u) == 0 ]] || die "must run as root (mounts, chroot, dockerd)"; }

# Run a step and log how long it took.
timed() {
  local what=$1 start=$SECONDS; shift
  "$@"
  log "$what: done in $((SECONDS - start))s"
}

# The engines by short name: d26, d26cs, d20.
declare -A ENGINE_HOST=([d26]=$DOCKER26_TCP [d26cs]=$DOCKER26CS_TCP [d20]=unix://$D20/docker.sock)
declare -A ENGINE_CLIENT=([d26]=$DOCKER26_CLIENT [d26cs]=$DOCKER26_CLIENT [d20]=$DOCKER20_CLIENT)
engine() { local e=$1; shift; DOCKER_HOST=${ENGINE_HOST[$e]} "${ENGINE_CLIENT[$e]}" "$@"; }
d26()   { engine d26 "$@"; }
d26cs() { engine d26cs "$@"; }
d20()   { engine d20 "$@"; }
# A caller's docker context settings would fight DOCKER_HOST.
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

# Mount points at or below DIR, deepest first (from this mount namespace's table).
mounts_under() {
  local dir=$1
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# Remove a directory that may be a leftover of an interrupted debootstrap,
# which mounts /proc and /sys inside its target: unmount first, never cross
# into another file system.
remove_tree() {
  local dir=$1 m
  [[ -e $dir ]] || return 0
  for m in $(mounts_under "$dir"); do umount -l "$m"; done
  rm -rf --one-file-system "$dir"
}

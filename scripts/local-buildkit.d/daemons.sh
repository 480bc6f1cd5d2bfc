# local-buildkit's daemons: dockerd 26.1 (twice) and 20.10, the registry and the Go proxy;
# starting them, waiting for them, stopping them and recovering from an unclean stop.
# Sourced by scripts/local-buildkit.
# shellcheck shell=bash

# Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat; the
# command name in field 2 may hold spaces, so count from its closing paren).
proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }

# Pid files hold "PID STARTTIME": a pid file left from an earlier boot must
# never make us skip a start, or signal whatever process reuses that pid.
pid_of() {
  local pid start
  [[ -f $RUN/$1.pid ]] || return 0
  read -r pid start <"$RUN/$1.pid" || true
  [[ -n $pid && $(proc_start "$pid") == "$start" ]] && echo "$pid"
  return 0
}

# Is component NAME's recorded process still alive? A killed daemon stays a zombie until
# its parent (init, as daemons are detached) reaps it: that counts as dead, so `up` restarts it.
alive() { running "$(pid_of "$1")"; }

# Is PID a process that has not exited? (/proc/PID/stat field 3 is Z for a zombie.)
running() { [[ -n $1 && $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $1}') =~ ^[^Z]$ ]]; }

# Does something accept TCP connections on 127.0.0.1:PORT?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Start CMD in its own session (so Ctrl-C or a killed caller leaves it running),
# detached from our stdio, output appended to LOG; record its pid as NAME.
start_daemon() {
  local name=$1 logfile=$2; shift 2
  printf '\n=== %s starting %s\n' "$(date -Is)" "$name" >>"$logfile"
  # A background job of a non-interactive shell is not a process group leader,
  # so setsid execs in place and $! is the daemon's pid (chroot/env exec too).
  # fd 9 is our lock (take_lock): a daemon must not inherit and hold it.
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  local pid=$!
  echo "$pid $(proc_start "$pid")" >"$RUN/$name.pid"
}

# Wait until CHECK succeeds; fail early if NAME's process died.
wait_ready() {
  local name=$1 logfile=$2 deadline=$((SECONDS + WAIT_SECS)); shift 2
  until "$@" >/dev/null 2>&1; do
    alive "$name" || die_with_log "$name exited during startup" "$logfile"
    (( SECONDS < deadline )) || die_with_log "$name did not answer within ${WAIT_SECS}s (check: $*)" "$logfile"
    sleep 0.5
  done
}

# SIGTERM every PID, wait up to SECS for all, then SIGKILL what is left.
# All at once: each dockerd takes a few seconds to shut down.
stop_pids() {
  local secs=$1 pid i left; shift
  (( $# )) || return 0
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < secs * 10; i++)); do
    left=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left=1; done
    (( left )) || return 0
    sleep 0.1
  done
  for pid in "$@"; do
    kill -0 "$pid" 2>/dev/null || continue
    log "pid $pid did not stop in ${secs}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# Pid in a daemon-written pid FILE, if that process is alive and named COMM.
pid_in_file() {
  local file=$1 comm=$2 pid
  pid=$(cat "$file" 2>/dev/null) || return 0
  running "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] && echo "$pid"
  return 0
}

# dockerd refuses to start when its pid file names a live process ("pid file
# found, ensure docker is not running"), and trusts a containerd.pid naming a
# live process. After a reboot either pid may belong to something else.
remove_stale_pidfile() {
  local file=$1 comm=$2
  [[ -f $file && -z $(pid_in_file "$file" "$comm") ]] && rm -f "$file"
  return 0
}

# Where each dockerd writes its managed containerd's pid (under --exec-root).
CONTAINERD_PIDFILES=(
  "$CHROOT/run/docker/containerd/containerd.pid"
  "$CHROOT/run/docker-cs/containerd/containerd.pid"
  "$D20/exec/containerd/containerd.pid"
)

# After an unclean stop of engine NAME (its dockerd SIGKILLed, as tests/daemon_restart.rs
# does, crashed, or the machine rebooted), clear what the dead daemons left, before NAME
# starts again: dockerd's and containerd's pid and socket files, and the unfinished snapshot
# directories of containerd's overlayfs snapshotter. dockerd starts its containerd with
# Pdeathsig=SIGKILL, so a killed dockerd takes containerd down mid-operation too. The
# snapshotter creates each snapshot as a temporary snapshots/new-<random> directory
# (os.MkdirTemp(snapshotDir, "new-")) and renames it to snapshots/<id> in the same metadata
# transaction; a new-* directory is never a snapshot's, and with containerd dead no
# transaction is in flight, so every new-* is garbage (containerd's own Cleanup removes it
# too, but only after some later removal makes it garbage-collect that snapshotter).
# Committed snapshots (numeric names) are never touched: which of them metadata.db holds
# only containerd can tell.
# Unclean means a pid file is left: ours (down removes it) or dockerd's (a clean exit
# removes it). Arguments: NAME, dockerd's data root, exec root, pid file and socket (host paths).
recover_unclean_stop() {
  local name=$1 data=$2 exec=$3 pidfile=$4 sock=$5
  local ctrd=$exec/containerd dir removed=0
  local snapshots=$data/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots
  [[ -f $RUN/$name.pid || -f $pidfile ]] || return 0
  # A live dockerd or containerd from that run owns these files: leave them (a dockerd makes
  # the start fail with its own message; a containerd is reused by the new dockerd).
  [[ -z $(pid_in_file "$pidfile" dockerd) ]] || return 0
  if [[ -n $(pid_in_file "$ctrd/containerd.pid" containerd) ]]; then
    log "$name: its containerd outlived dockerd; the new dockerd reuses it, its files are left alone"
    return 0
  fi
  rm -f "$RUN/$name.pid" "$pidfile" "$sock" "$ctrd/containerd.pid" \
    "$ctrd/containerd.sock" "$ctrd/containerd.sock.ttrpc" "$ctrd/containerd-debug.sock"
  for dir in "$snapshots"/new-*; do
    [[ -d $dir && ! -L $dir ]] || continue
    remove_tree "$dir"
    removed=$((removed + 1))
  done
  log "$name did not stop cleanly: removed its stale pid and socket files and $removed unfinished snapshot dir(s) (new-*) in $snapshots"
  set_aside_uncommitted_snapshots "$name" "$snapshots"
}

# containerd's overlay snapshotter renames new-N to the snapshot's id and then records it in
# its metadata.db; a kill between the two leaves a numbered directory no record names, and the
# next snapshot given that id fails ("failed to rename ... file exists"). A committed
# snapshot's directory is never changed after its record is written, so a numbered directory
# newer than metadata.db was never recorded: move it out of the way (kept, not deleted).
set_aside_uncommitted_snapshots() {
  local name=$1 snapshots=$2 db dir aside moved=0
  db=$(dirname "$snapshots")/metadata.db
  [[ -f $db && -d $snapshots ]] || return 0
  aside=$(dirname "$snapshots")/uncommitted-$(date +%s)
  while IFS= read -r dir; do
    mkdir -p "$aside"
    mv "$dir" "$aside/"
    moved=$((moved + 1))
  done < <(find "$snapshots" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9]+' -newer "$db")
  if (( moved > 0 )); then
    log "$name: moved $moved snapshot dir(s) that metadata.db never recorded to $aside"
  fi
}

# Refuse to start NAME when another process already holds its port: we would
# otherwise "wait for readiness" and succeed against a stranger.
check_port_free() {
  local name=$1 port=$2
  port_open "$port" && die "$name: port $port on 127.0.0.1 is already in use by a process this script did not start (ss -ltnp 'sport = :$port')"
  return 0
}

# dockerd starts its own containerd when none listens at the default
# /run/containerd/containerd.sock; it puts that containerd's socket and state
# under --exec-root and its data under --data-root. The chroot has its own /run,
# and each engine has distinct roots, so the three engines run three separate
# containerds. Make sure no system containerd socket would be shared instead.
check_no_system_containerd() {
  local root=$1
  [[ ! -S $root/run/containerd/containerd.sock ]] \
    || die "$root/run/containerd/containerd.sock exists: an engine would share that containerd with others; stop it first"
}

start_docker26() {
  alive docker26 && return 0
  check_port_free docker26 2375
  check_no_system_containerd "$CHROOT"
  recover_unclean_stop docker26 "$CHROOT/var/lib/docker" "$CHROOT/run/docker" "$CHROOT/run/docker.pid" "$CHROOT/run/docker.sock"
  remove_stale_pidfile "$CHROOT/run/docker.pid" dockerd
  remove_stale_pidfile "${CONTAINERD_PIDFILES[0]}" containerd
  start_daemon docker26 "$LOGS/docker26.log" "${CLEAN_ENV[@]}" chroot "$CHROOT" /usr/sbin/dockerd \
    --config-file /etc/docker-default.json \
    --data-root /var/lib/docker --exec-root /run/docker --pidfile /run/docker.pid \
    -H unix:///run/docker.sock -H "$DOCKER26_TCP" \
    "${NO_NET_FLAGS[@]}" "${MIRROR_FLAGS[@]}"
}

start_docker26cs() {
  alive docker26cs && return 0
  check_port_free docker26cs 2376
  check_no_system_containerd "$CHROOT"
  recover_unclean_stop docker26cs "$CHROOT/var/lib/docker-cs" "$CHROOT/run/docker-cs" "$CHROOT/run/docker-cs.pid" "$CHROOT/run/docker-cs.sock"
  remove_stale_pidfile "$CHROOT/run/docker-cs.pid" dockerd
  remove_stale_pidfile "${CONTAINERD_PIDFILES[1]}" containerd
  start_daemon docker26cs "$LOGS/docker26cs.log" "${CLEAN_ENV[@]}" chroot "$CHROOT" /usr/sbin/dockerd \
    --config-file /etc/docker-cs/daemon.json \
    --data-root /var/lib/docker-cs --exec-root /run/docker-cs --pidfile /run/docker-cs.pid \
    -H unix:///run/docker-cs.sock -H "$DOCKER26CS_TCP" \
    "${NO_NET_FLAGS[@]}" "${MIRROR_FLAGS[@]}"
}

start_docker20() {
  alive docker20 && return 0
  check_no_system_containerd ""
  docker_answers d20 >/dev/null 2>&1 && die "docker20: $D20/docker.sock answers, but not from a dockerd this script started"
  recover_unclean_stop docker20 "$D20/data" "$D20/exec" "$D20/docker.pid" "$D20/docker.sock"
  remove_stale_pidfile "$D20/docker.pid" dockerd
  remove_stale_pidfile "${CONTAINERD_PIDFILES[2]}" containerd
  mkdir -p "$D20"
  # Own config file: a host /etc/docker/daemon.json must not change this engine.
  [[ -f $D20/daemon.json ]] || printf '{}\n' >"$D20/daemon.json"
  start_daemon docker20 "$LOGS/docker20.log" "${CLEAN_ENV[@]}" /usr/sbin/dockerd \
    --config-file "$D20/daemon.json" \
    --data-root "$D20/data" --exec-root "$D20/exec" --pidfile "$D20/docker.pid" \
    -H "unix://$D20/docker.sock" "${NO_NET_FLAGS[@]}"
}

start_registry() {
  alive registry && return 0
  check_port_free registry 5000
  mkdir -p "$REG/data"
  cat >"$REG/config.yml" <<EOF
# Written by local-buildkit. Loopback only; storage survives down/up.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $REG/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_HOSTPORT
EOF
  start_daemon registry "$LOGS/registry.log" "${CLEAN_ENV[@]}" /usr/bin/docker-registry serve "$REG/config.yml"
}

start_goproxy() {
  # Fixtures are regenerated every time (deterministic, files rewritten only
  # when changed), so editing goproxy-fixtures.py takes effect on the next up.
  mkdir -p "$GOPROXY_DIR/root"
  /usr/bin/python3 "$SCRIPT_DIR/goproxy-fixtures.py" --root "$GOPROXY_DIR/root" --sums "$GOPROXY_DIR/go.sum"
  alive goproxy && return 0
  check_port_free goproxy "$GOPROXY_PORT"
  # http.server writes its access log to stderr: one line per request, which
  # tests read to see which modules a build fetched.
  start_daemon goproxy "$GOPROXY_DIR/access.log" "${CLEAN_ENV[@]}" PYTHONUNBUFFERED=1 \
    /usr/bin/python3 -m http.server "$GOPROXY_PORT" --bind 127.0.0.1 --directory "$GOPROXY_DIR/root"
}

docker_answers() { DOCKER_HOST=${ENGINE_HOST[$1]} timeout 10 "${ENGINE_CLIENT[$1]}" version --format '{{.Server.Version}}'; }
registry_answers() { curl -fsS --max-time 5 "http://$REGISTRY_HOSTPORT/v2/"; }
goproxy_answers() { curl -fsS --max-time 5 "http://127.0.0.1:$GOPROXY_PORT/"; }

start_all_daemons() {
  # Start everything first, then wait: the engines start in parallel.
  start_registry
  start_goproxy
  start_docker20
  start_docker26
  start_docker26cs
  wait_ready registry   "$LOGS/registry.log"      registry_answers
  wait_ready goproxy    "$GOPROXY_DIR/access.log" goproxy_answers
  wait_ready docker20   "$LOGS/docker20.log"      docker_answers d20
  wait_ready docker26   "$LOGS/docker26.log"      docker_answers d26
  wait_ready docker26cs "$LOGS/docker26cs.log"    docker_answers d26cs
}

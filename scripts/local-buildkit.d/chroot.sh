# local-buildkit's Debian trixie chroot with Docker 26.1: debootstrap, configuration, mounts,
# and the buildx plugin it provides. Sourced by scripts/local-buildkit.
# shellcheck shell=bash

# debootstrap SUITE-rootfs into DIR atomically: into DIR.tmp, renamed on success,
# so an interrupted run never leaves a half-built tree that looks finished.
debootstrap_into() {
  local dir=$1 include=$2 logfile=$3
  remove_tree "$dir.tmp"
  mkdir -p "$DEB_CACHE"
  debootstrap --variant=minbase --include="$include" --cache-dir="$DEB_CACHE" \
    trixie "$dir.tmp" "$DEBIAN_MIRROR" >"$logfile" 2>&1 \
    || die_with_log "debootstrap of $dir failed" "$logfile"
  mv "$dir.tmp" "$dir"
}

ensure_chroot() {
  if [[ -f $CHROOT/.gofrontend-ready ]]; then return 0; fi
  remove_tree "$CHROOT"
  log "debootstrap trixie chroot with docker.io + docker-buildx + docker-compose (about 40 s)"
  debootstrap_into "$CHROOT" docker.io,docker-buildx,docker-compose,ca-certificates "$LOGS/debootstrap-chroot.log"
  touch "$CHROOT/.gofrontend-ready"
}

# Idempotent, run on every up so a changed script fixes an existing chroot.

configure_chroot() {
  mkdir -p "$CHROOT/etc/docker-cs"
  # The second engine's only difference: the containerd image store, which has
  # --output type=oci, registry cache export and multi-platform results.
  printf '{"features":{"containerd-snapshotter":true}}\n' >"$CHROOT/etc/docker-cs/daemon.json"
  # The first engine gets an explicit empty config so nothing else changes it.
  printf '{}\n' >"$CHROOT/etc/docker-default.json"
  # Belt and braces for the network rule: should a pull ever miss the local
  # mirror, dockerd falls back to Docker Hub. Pin Hub's names to loopback so
  # that fallback fails at once ("connection refused") and sends nothing out.
  if ! grep -q 'gofrontend: docker hub' "$CHROOT/etc/hosts" 2>/dev/null; then
    cat >>"$CHROOT/etc/hosts" <<'EOF'
# gofrontend: docker hub is unreachable here; fail fast instead of leaving the machine
127.0.0.1 registry-1.docker.io index.docker.io auth.docker.io production.cloudflare.docker.com
EOF
  fi
}

# The chroot root must be a mount point, or every build fails with
# "failed to register layer: remount /, flags: 0x84000: invalid argument".
# make-private: the engines' own mounts under it stay out of the host's table
# propagation; make-rslave on /proc /sys /dev: unmounting them from the chroot
# (at `down`) can never propagate back and unmount the host's.
mount_chroot() {
  if ! mountpoint -q "$CHROOT"; then
    mount --bind "$CHROOT" "$CHROOT"
    mount --make-private "$CHROOT"
  fi
  local fs
  for fs in proc sys dev; do
    if ! mountpoint -q "$CHROOT/$fs"; then
      mount --rbind "/$fs" "$CHROOT/$fs"
      mount --make-rslave "$CHROOT/$fs"
    fi
  done
}

umount_chroot() {
  local m
  for m in $(mounts_under "$CHROOT"); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}

# A chroot made before docker-compose joined the list gets it now.
ensure_compose_in_chroot() {
  if [[ -x $CHROOT/usr/libexec/docker/cli-plugins/docker-compose ]]; then return 0; fi
  log "apt-get install docker-compose in the chroot"
  { chroot "$CHROOT" apt-get update -qq \
      && chroot "$CHROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose
  } >"$LOGS/apt-chroot.log" 2>&1 || die_with_log "installing docker-compose in the chroot failed" "$LOGS/apt-chroot.log"
}

# buildx 0.13 and compose 2.26 from trixie run on the host; the docker clients find them here.
install_cli_plugins() {
  local plugin src dst
  for plugin in docker-buildx docker-compose; do
    src=$CHROOT/usr/libexec/docker/cli-plugins/$plugin dst=${HOME:-/root}/.docker/cli-plugins/$plugin
    [[ -x $src ]] || die "no $plugin in the chroot ($src)"
    if ! cmp -s "$src" "$dst" 2>/dev/null; then
      mkdir -p "$(dirname "$dst")"
      cp "$src" "$dst.tmp" && mv "$dst.tmp" "$dst"
      log "installed the $plugin plugin at $dst"
    fi
  done
}

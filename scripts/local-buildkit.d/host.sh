# local-buildkit's host packages: the Debian packages `up` installs on the host.
# Sourced by scripts/local-buildkit.
# shellcheck shell=bash

# qemu-user-static runs the arm binaries of multi-platform builds in tests (not registered
# with binfmt: builds never emulate).
HOST_PACKAGES=(debootstrap docker.io docker-registry ca-certificates curl python3 openssl openssh-server qemu-user-static)

install_host_packages() {
  local missing=() p
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if (( ${#missing[@]} == 0 )); then return 0; fi
  log "apt-get install ${missing[*]}"
  # Installing docker.io or docker-registry would start their system services
  # (a dockerd with a bridge network, a registry on :5000). A policy-rc.d that
  # answers 101 stops that; we run our own instances instead.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; added_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOGS/apt-host.log" 2>&1 \
    || { (( added_policy )) && rm -f "$policy"; die_with_log "apt-get install failed" "$LOGS/apt-host.log"; }
  (( added_policy )) && rm -f "$policy"
  return 0
}

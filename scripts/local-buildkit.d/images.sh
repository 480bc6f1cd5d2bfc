# local-buildkit's stand-in images (golang, distroless static and base) and the test CA:
# built, pushed to the registry and loaded on every engine. Sourced by scripts/local-buildkit.
# shellcheck shell=bash

# Does the registry hold REPO:TAG? (HEAD on the manifest, any schema.)
registry_has() {
  local repo=$1 tag=$2
  curl -fs -o /dev/null --max-time 10 -I \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$REGISTRY_HOSTPORT/v2/$repo/manifests/$tag"
}

# Import a rootfs directory as REF on the 26.1 engine and push it; changes (and
# --platform P) follow. --numeric-owner keeps uids as they are in the tree (65532 stays 65532).
import_and_push() {
  local dir=$1 ref=$2; shift 2
  local changes=()
  while (( $# )); do
    if [[ $1 == --platform ]]; then changes+=(--platform "$2"); shift 2; continue; fi
    changes+=(-c "$1"); shift
  done
  tar --numeric-owner --one-file-system --sort=name -C "$dir" -c . \
    | d26 import "${changes[@]}" - "$ref" >/dev/null
  d26 push -q "$ref" >/dev/null
}

# A CA and a server certificate for 127.0.0.1 it signed: test servers (the
# module proxy that demands credentials) serve HTTPS with them.
ensure_test_ca() {
  [[ -s $TLS/ca.pem && -s $TLS/server.pem ]] && return 0
  mkdir -p "$TLS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=gofrontend test CA" \
    -keyout "$TLS/ca.key" -out "$TLS/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$TLS/server.ext"
  openssl x509 -req -days 3650 -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
    -CAcreateserial -extfile "$TLS/server.ext" -out "$TLS/server.pem" 2>/dev/null
  chmod 600 "$TLS/ca.key" "$TLS/server.key"
}

# Whether ENGINE holds IMAGE as the stand-in labeled VERSION (default: the golang one).
is_current() {
  local engine=$1 image=$2 version=${3:-$GOLANG_STANDIN}
  [[ $("$engine" image inspect --format '{{index .Config.Labels "org.gofrontend.stand-in"}}' "$image" 2>/dev/null) == "$version" ]]
}

ensure_golang_image() {
  if is_current d26 "$GOLANG_REF"; then
    # The registry lost it but the engine still has the import: push only.
    registry_has library/golang 1.24 || d26 push -q "$GOLANG_REF" >/dev/null
    return 0
  fi
  local dir=$BUILD/golang-rootfs
  log "building $GOLANG_REF: debootstrap trixie + golang-1.24-go, git, gcc (about 90 s)"
  mkdir -p "$BUILD"
  # openssh-client for git over SSH, gcc and libc6-dev for cgo, as in the official images.
  timed "  debootstrap golang rootfs" \
    debootstrap_into "$dir" golang-1.24-go,ca-certificates,git,openssh-client,gcc,libc6-dev "$LOGS/debootstrap-golang.log"
  rm -rf "${dir:?}"/var/lib/apt/lists/* "${dir:?}"/var/cache/apt/*.bin
  # Trusted like a company CA baked into a builder image: servers on 127.0.0.1 can speak
  # HTTPS to the go command (which sends netrc credentials over HTTPS only).
  cat "$TLS/ca.pem" >>"$dir/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$dir/go"
  timed "  import + push $GOLANG_REF" import_and_push "$dir" "$GOLANG_REF" \
    'ENV PATH=/usr/lib/go-1.24/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV GOPATH=/go' 'ENV GOTOOLCHAIN=local' 'WORKDIR /go' "LABEL org.gofrontend.stand-in=$GOLANG_STANDIN"
  # The image is in the registry and in docker26's store; the tree is 700 MB.
  remove_tree "$dir"
}

# The SBOM scanner stand-in: a static Go program (sbom-scanner/main.go) compiled offline in
# the golang stand-in, pushed where the engines look for docker/buildkit-syft-scanner.
ensure_sbom_scanner() {
  if is_current d26 "$SBOM_SCANNER_REF" "$SBOM_SCANNER_STANDIN"; then
    registry_has docker/buildkit-syft-scanner stable-1 || d26 push -q "$SBOM_SCANNER_REF" >/dev/null
    return 0
  fi
  log "building the SBOM scanner stand-in $SBOM_SCANNER_REF"
  d26 build -q --network=none --label "org.gofrontend.stand-in=$SBOM_SCANNER_STANDIN" \
      -t "$SBOM_SCANNER_REF" "$SCRIPT_DIR/local-buildkit.d/sbom-scanner" >"$LOGS/sbom-scanner.log" 2>&1 \
    || die_with_log "building the SBOM scanner stand-in failed" "$LOGS/sbom-scanner.log"
  d26 push -q "$SBOM_SCANNER_REF" >/dev/null
}

# A stand-in for gcr.io/distroless/static-debian12:nonroot (gcr.io is not
# reachable and dockerd only mirrors docker.io): users, certs, /tmp, nothing else.
# Like gcr.io's, it is an index of one manifest per platform; nothing in it is
# machine code, so every platform's image holds the same files under its own config.
ensure_distroless_image() {
  if registry_has_index distroless/static-debian12 nonroot \
    && registry_has distroless/static-debian12 "nonroot-$DISTROLESS_STANDIN-linux-amd64"; then
    return 0
  fi
  local dir=$BUILD/distroless-rootfs platform tag entries=()
  log "building $DISTROLESS_REF for ${DISTROLESS_PLATFORMS[*]}"
  distroless_rootfs "$dir"
  for platform in "${DISTROLESS_PLATFORMS[@]}"; do
    tag=nonroot-$DISTROLESS_STANDIN-${platform//\//-}
    # As in distroless, dpkg's record names the Debian architecture: tests read it to
    # tell which platform's base an image got.
    mkdir -p "$dir/var/lib/dpkg/status.d"
    printf 'Package: base-files\nArchitecture: %s\n' "$(debian_arch "$platform")" \
      >"$dir/var/lib/dpkg/status.d/base-files"
    import_and_push "$dir" "$REGISTRY/distroless/static-debian12:$tag" --platform "$platform" \
      'USER 65532' 'WORKDIR /home/nonroot' "LABEL org.gofrontend.stand-in=$DISTROLESS_STANDIN"
    entries+=("$(index_entry distroless/static-debian12 "$tag" "$platform")")
  done
  put_index distroless/static-debian12 nonroot "${entries[@]}"
  remove_tree "$dir"
}

# Debian's name for a platform's architecture.
debian_arch() {
  case $1 in
    linux/amd64) echo amd64 ;;
    linux/arm64) echo arm64 ;;
    linux/arm/v7) echo armhf ;;
    *) die "no Debian architecture for $1" ;;
  esac
}

# Does the registry hold REPO:TAG as an index (a manifest list)?
registry_has_index() {
  curl -fs -o /dev/null --max-time 10 -I -w '%{content_type}' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    "http://$REGISTRY_HOSTPORT/v2/$1/manifests/$2" | grep -Eq 'manifest\.list|image\.index'
}

# The index entry (JSON) for REPO:TAG, a single-platform manifest, as PLATFORM.
index_entry() {
  local repo=$1 tag=$2 platform=$3 headers digest size media os arch variant
  headers=$(curl -fsS --max-time 10 -I \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REGISTRY_HOSTPORT/v2/$repo/manifests/$tag" | tr -d '\r')
  digest=$(awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }' <<<"$headers")
  size=$(awk -F': ' 'tolower($1) == "content-length" { print $2 }' <<<"$headers")
  media=$(awk -F': ' 'tolower($1) == "content-type" { print $2 }' <<<"$headers")
  IFS=/ read -r os arch variant <<<"$platform"
  printf '{"mediaType":"%s","digest":"%s","size":%s,"platform":{"os":"%s","architecture":"%s"%s}}' \
    "$media" "$digest" "$size" "$os" "$arch" "${variant:+,\"variant\":\"$variant\"}"
}

# PUT an index of the given entries as REPO:TAG.
put_index() {
  local repo=$1 tag=$2; shift 2
  local list
  list=$(IFS=,; printf '%s' "$*")
  curl -fsS --max-time 30 -X PUT \
    -H 'Content-Type: application/vnd.docker.distribution.manifest.list.v2+json' \
    --data-binary "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":[$list]}" \
    "http://$REGISTRY_HOSTPORT/v2/$repo/manifests/$tag" >/dev/null \
    || die "pushing the index $REGISTRY/$repo:$tag failed"
}

# A stand-in for gcr.io/distroless/base-debian13:nonroot: the static one plus
# Debian trixie's libc6 (from the chroot, the golang stand-in's release), on a
# merged /usr as in Debian 13.
ensure_distroless_base_image() {
  if registry_has distroless/base-debian13 nonroot; then return 0; fi
  local dir=$BUILD/distroless-base-rootfs
  log "building $DISTROLESS_BASE_REF"
  distroless_rootfs "$dir"
  mkdir -p "$dir/usr/bin" "$dir/usr/sbin" "$dir/usr/lib" "$dir/usr/lib64"
  ln -s usr/bin "$dir/bin"; ln -s usr/sbin "$dir/sbin"
  ln -s usr/lib "$dir/lib"; ln -s usr/lib64 "$dir/lib64"
  chroot "$CHROOT" dpkg -L libc6 | while read -r path; do
    [[ -f $CHROOT$path || -L $CHROOT$path ]] && printf '%s\n' "${path#/}"
  done | tar -C "$CHROOT" --no-recursion -T - -c | tar -C "$dir" --keep-directory-symlink -x
  import_and_push "$dir" "$DISTROLESS_BASE_REF" 'USER 65532' 'WORKDIR /home/nonroot'
  remove_tree "$dir"
}

# The files every distroless stand-in has: users, certs, /tmp.
distroless_rootfs() {
  local dir=$1
  remove_tree "$dir"
  mkdir -p "$dir/etc/ssl/certs" "$dir/home/nonroot" "$dir/root" "$dir/tmp"
  cat >"$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$dir/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
  # ca-certificates comes from the trixie chroot: Debian's package, like the rest.
  cp "$CHROOT/etc/ssl/certs/ca-certificates.crt" "$dir/etc/ssl/certs/ca-certificates.crt"
  chmod 644 "$dir/etc/passwd" "$dir/etc/group" "$dir/etc/ssl/certs/ca-certificates.crt"
  chown 65532:65532 "$dir/home/nonroot"; chmod 700 "$dir/home/nonroot" "$dir/root"
  chmod 1777 "$dir/tmp"
}

# Make IMAGE present on an engine (DOCKER-FUNC), pulling it when missing.
ensure_pulled() {
  local engine=$1 image=$2
  "$engine" image inspect "$image" >/dev/null 2>&1 && return 0
  log "$engine: pulling $image"
  "$engine" pull -q "$image" >/dev/null || die "$engine: docker pull $image failed"
}

# 26.1 engines: golang:1.24 comes through the mirror (this also proves the
# mirror works before any build depends on it).
load_on_docker26() {
  is_current "$1" golang:1.24 || "$1" pull -q golang:1.24 >/dev/null \
    || die "$1: docker pull golang:1.24 failed"
  ensure_distroless_pulled "$1"
  ensure_pulled "$1" "$DISTROLESS_BASE_REF"
}

# The static stand-in, re-pulled when the engine holds an older one. The engine
# with the containerd store keeps the whole index, every platform's content.
ensure_distroless_pulled() {
  local engine=$1 platform
  is_current "$engine" "$DISTROLESS_REF" "$DISTROLESS_STANDIN" && return 0
  log "$engine: pulling $DISTROLESS_REF"
  if [[ $engine == d26cs ]]; then
    for platform in "${DISTROLESS_PLATFORMS[@]}"; do
      "$engine" pull -q --platform "$platform" "$DISTROLESS_REF" >/dev/null \
        || die "$engine: docker pull --platform $platform $DISTROLESS_REF failed"
    done
  fi
  "$engine" pull -q "$DISTROLESS_REF" >/dev/null || die "$engine: docker pull $DISTROLESS_REF failed"
}

# 20.10 has no mirror: pull by the local name, then tag under the docker.io
# names so `FROM golang:1.24` finds it locally (resolve mode "default" prefers
# local images in BuildKit v0.8's moby worker).
load_on_docker20() {
  ensure_distroless_pulled d20
  is_current d20 golang:1.24 && return 0
  d20 pull -q "$GOLANG_REF" >/dev/null || die "d20: docker pull $GOLANG_REF failed"
  d20 tag "$GOLANG_REF" golang:1.24
  d20 tag "$GOLANG_REF" docker.io/library/golang:1.24
}

load_images_on_engines() {
  # In parallel: a 600 MB pull is mostly gunzip on one core, per engine.
  local pids=() p rc=0
  load_on_docker26 d26 & pids+=($!)
  load_on_docker26 d26cs & pids+=($!)
  load_on_docker20 & pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  (( rc == 0 )) || die "loading images on the engines failed (see above)"
}

# The published frontend image: the static gofrontend binary alone on scratch.
#   docker buildx build -f frontend.Dockerfile --platform linux/amd64,linux/arm64 -t <registry>/gofrontend:<version> --push .
# RUST_IMAGE is any image with cargo and a C toolchain; builds need crates.io unless the
# crates are vendored (`cargo vendor` writes vendor/ and the config this file picks up).
ARG RUST_IMAGE=docker.io/library/rust:1.88-bookworm

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    target="$(rustc -vV | sed -n 's/^host: //p')" \
    && RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$target" \
    && cp "target/$target/release/gofrontend" /gofrontend

FROM scratch
COPY --from=build /gofrontend /gofrontend
# Without this label the engines try to give the frontend a bridge network.
LABEL moby.buildkit.frontend.network.none="true"
# Client features the frontend supports: named contexts (`--build-context golang=/base=`) and
# subrequests (`--print=targets|outline|lint|subrequests.describe`).
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.contexts,moby.buildkit.frontend.subrequests"
ENTRYPOINT ["/gofrontend", "frontend"]

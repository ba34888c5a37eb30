# syntax=docker/dockerfile:1
# vodplan as an OCI image: one static (musl) binary on distroless/static, which has CA certificates
# and a nonroot user but no shell and no libc. For CI runners that take an image; a job that needs
# a shell (GitLab's `script:`) copies the binary into its own image instead:
#   COPY --from=ghcr.io/vodplan/vodplan:0.1.0 /usr/local/bin/vodplan /usr/local/bin/vodplan
#
#   docker build -t vodplan .
#   docker run --rm -v "$PWD:/work" -e ALIBABA_CLOUD_ACCESS_KEY_ID -e ALIBABA_CLOUD_ACCESS_KEY_SECRET \
#     vodplan plan manifests/
#
# Pin the bases by digest in your own builds (`FROM image:tag@sha256:...`).

ARG RUST_VERSION=1.95

# Alpine's Rust targets musl, whose binaries are static by default (crt-static).
FROM docker.io/library/rust:${RUST_VERSION}-alpine AS build
RUN apk add --no-cache musl-dev binutils
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release --bin vodplan \
 && cp target/release/vodplan /vodplan
# Refuse to ship anything that is not a static executable (no program interpreter), or that does
# not run.
RUN if readelf -l /vodplan | grep -q 'program interpreter'; then echo "not static" >&2; exit 1; fi \
 && /vodplan --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /vodplan /usr/local/bin/vodplan
WORKDIR /work
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/vodplan"]
CMD ["--help"]

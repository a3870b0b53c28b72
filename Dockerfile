# urlcheck in a container: a static binary (musl) on an empty base, with the
# CA certificates and a non-root user; about 14 MB.
#
#   docker build -t urlcheck .
#   docker run --rm urlcheck https://example.com/
#
# `--target alpine` builds the same binary on Alpine instead, for CI systems
# whose jobs run a shell script in the image (GitLab CI). The build stage is
# the same static musl build as the release's Linux archives
# (.github/workflows/release.yml). tests/e2e/ship.sh builds and runs the
# last stage as written.
FROM rust:1.95-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
 && strip target/release/urlcheck

FROM alpine:3 AS alpine
RUN apk add --no-cache ca-certificates
COPY --from=build /src/target/release/urlcheck /usr/local/bin/urlcheck
LABEL org.opencontainers.image.source="https://github.com/urlcheck/urlcheck"
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/urlcheck"]

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/target/release/urlcheck /usr/local/bin/urlcheck
LABEL org.opencontainers.image.source="https://github.com/urlcheck/urlcheck"
# nobody: no root, no shell, nothing else in the image.
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/urlcheck"]

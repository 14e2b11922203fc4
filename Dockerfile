# Farewell in a container: one binary and its static files.
#   docker build -t farewell .
#   docker run -p 3000:3000 -v farewell-data:/data farewell
# SQLite lives in /data by default; set DATABASE_URL=postgres://… for PostgreSQL.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The wasm target, wasm-bindgen-cli (pinned to Cargo.lock) and wasm-opt, then a release build.
RUN scripts/bootstrap.sh build && scripts/build.sh --release

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /data --create-home farewell
COPY --from=build /src/target/release/farewell /usr/local/bin/farewell
# The bundle's hashed file names, read from beside the binary (cargo-leptos's convention).
COPY --from=build /src/target/release/hash.txt /src/target/release/hash-admin.txt /usr/local/bin/
COPY --from=build /src/target/site /srv/farewell/site
USER farewell
WORKDIR /data
ENV DATABASE_URL=sqlite:///data/farewell.db \
    LEPTOS_SITE_ROOT=/srv/farewell/site \
    FAREWELL_ADDR=0.0.0.0:3000 \
    FAREWELL_LOG_FORMAT=json \
    # The image expects TLS in front of it: Secure cookies and HSTS are on. Set
    # FAREWELL_PUBLIC_URL to the https address people use.
    FAREWELL_SECURE_COOKIES=true \
    FAREWELL_PUBLIC_URL=https://localhost
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ready <&3"]
ENTRYPOINT ["farewell"]
CMD ["serve"]

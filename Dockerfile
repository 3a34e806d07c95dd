# convene: multi-stage build. Needs BuildKit (the default builder since Docker 23) for the
# cache mounts, which keep crates and build artifacts between image builds.
#
#   docker build -t convene .
#   docker compose up --build        # with PostgreSQL and a mail catcher (docker-compose.yml)

# ---------------------------------------------------------------- build
FROM rust:1-bookworm AS builder

# diesel's postgres backend links the system libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -D -m 0755 target/release/convene /out/convene

# ---------------------------------------------------------------- run
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 convene \
    && useradd --system --uid 10001 --gid convene --home-dir /app --no-create-home \
               --shell /usr/sbin/nologin convene

COPY --from=builder /out/convene /usr/local/bin/convene
# Templates and assets are compiled into the binary. /app is the working directory and
# belongs to the service user, so the defaults (sqlite://convene.db, mail/) also work
# when no database or SMTP server is configured.
RUN mkdir -p /app && chown convene:convene /app

WORKDIR /app
USER 10001:10001

ENV CONVENE_BIND=0.0.0.0:8080
EXPOSE 8080

CMD ["convene", "serve"]

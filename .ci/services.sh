#!/usr/bin/env bash
# PostgreSQL and Redis on loopback for the PostgreSQL test lane (pytest -m postgres).
# Idempotent: installs Debian's packages when missing, starts a private cluster and a Redis
# server when they are not running, and prints the URLs to export. Run as root (CI is).
#   eval "$(.ci/services.sh)"   # sets TEST_DATABASE_URL and TEST_REDIS_URL
set -euo pipefail

PG_PORT="${PG_PORT:-54329}"
REDIS_PORT="${REDIS_PORT:-63790}"
DATA="${SERVICES_DIR:-/tmp/storefront-services}"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v redis-server >/dev/null; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >&2
fi
BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"

mkdir -p "$DATA"
chown postgres "$DATA"
as_postgres() { runuser -u postgres -- "$@"; }

if [ ! -s "$DATA/pg/PG_VERSION" ]; then
  as_postgres "$BIN/initdb" -D "$DATA/pg" -U postgres --auth=trust -E UTF8 >&2
fi
if ! as_postgres "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
  as_postgres "$BIN/pg_ctl" -D "$DATA/pg" -l "$DATA/pg.log" -w start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DATA -c fsync=off -c max_connections=300" >&2
fi
as_postgres psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -tc \
  "SELECT 1 FROM pg_roles WHERE rolname = 'storefront'" | grep -q 1 \
  || as_postgres psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres \
       -c "CREATE ROLE storefront LOGIN SUPERUSER PASSWORD 'storefront'" >&2

if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --daemonize yes --logfile "$DATA/redis.log" >&2
fi

echo "export TEST_DATABASE_URL=postgresql://storefront:storefront@127.0.0.1:$PG_PORT/postgres"
echo "export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"

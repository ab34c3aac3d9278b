#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server (temporary data directory, Unix socket only, no TCP),
# runs the given command with ACCORD_TEST_DATABASE_URL pointing at it, then stops and deletes it.
#   usage: scripts/pg-throwaway.sh COMMAND [ARGS...]
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "pg-throwaway: PostgreSQL is not installed (run scripts/system-deps.sh)" >&2; exit 1; }
dir=$(mktemp -d /tmp/accord-pg.XXXXXX)
chmod 755 "$dir"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$dir"
  run_as=(runuser -u postgres --)
fi
port=$((54000 + RANDOM % 900))
cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U accord --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
  "-k $dir -p $port -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
"${run_as[@]}" "$bindir/createdb" -h "$dir" -p "$port" -U accord accord
export ACCORD_TEST_DATABASE_URL="postgresql+psycopg://accord@/accord?host=$dir&port=$port"
echo "pg-throwaway: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on socket $dir port $port" >&2
"$@"

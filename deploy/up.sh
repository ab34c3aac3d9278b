#!/usr/bin/env bash
# Brings up the production topology on ONE machine, on loopback, for tests and benchmarks:
# a throw-away PostgreSQL, two stateless app processes (127.0.0.1:8101, :8102) behind nginx
# (127.0.0.1:8080), and a separate queue worker process. Everything lives under RUN_DIR.
#   deploy/up.sh [RUN_DIR]        start; prints the URL, an officer's log-in and an API token
#   deploy/up.sh down [RUN_DIR]   stop everything and delete RUN_DIR
# Needs PostgreSQL and nginx binaries (bash scripts/system-deps.sh --deploy).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
python=${ACCORD_PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || python=$(command -v python3)
if [ "${1:-}" = "down" ]; then
  run=${2:-/tmp/accord-deploy}
  for pidfile in "$run"/pids/*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  [ -f "$run/nginx/nginx.pid" ] && kill "$(cat "$run/nginx/nginx.pid")" 2>/dev/null || true
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  as=(); [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
  [ -d "$run/pg/data" ] && "${as[@]}" "$bindir/pg_ctl" -D "$run/pg/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$run"
  echo "stopped and removed $run"
  exit 0
fi
run=${1:-/tmp/accord-deploy}
nginx_bin=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
[ -n "$nginx_bin" ] || { echo "up.sh: nginx is not installed (bash scripts/system-deps.sh --deploy)" >&2; exit 1; }
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "up.sh: PostgreSQL is not installed" >&2; exit 1; }
mkdir -p "$run"/{pids,logs,state,nginx,pg}
chmod 755 "$run" "$run/pg"
as=()
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$run/pg"; as=(runuser -u postgres --); fi
pg_port=${ACCORD_DEPLOY_PG_PORT:-55432}
"${as[@]}" "$bindir/initdb" -D "$run/pg/data" -U accord --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as[@]}" "$bindir/pg_ctl" -D "$run/pg/data" -l "$run/pg/server.log" -w -o \
  "-k $run/pg -p $pg_port -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
"${as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$pg_port" -U accord accord

export ACCORD_DATABASE_URL="postgresql+psycopg://accord@127.0.0.1:$pg_port/accord"
export ACCORD_STATE_DIR="$run/state"
export ACCORD_EMBEDDED_WORKER=false
export ACCORD_LOG_LEVEL=${ACCORD_LOG_LEVEL:-WARNING}
export PYTHONPATH="$repo/src${PYTHONPATH:+:$PYTHONPATH}"
"$python" -m accord.cli db upgrade
# An officer for the load benchmark, with an API token.
token=$("$python" - <<'PY'
import accord.assembly  # noqa: F401
from accord.core.accounts import AccountService
from accord.core.roles import Role
from accord.core.runtime import get_database
with get_database().session() as session:
    accounts = AccountService(session)
    user = accounts.create_user("load.officer", "load-officer-password",
                                {Role.OFFICER, Role.SUPERVISOR}, language="en")
    print(accounts.issue_token(user, "load").token)
PY
)
for port in 8101 8102; do
  "$python" -m uvicorn accord.assembly:create_app --factory --host 127.0.0.1 --port "$port" \
    --no-access-log --log-level warning >"$run/logs/app-$port.log" 2>&1 &
  echo $! >"$run/pids/app-$port.pid"
done
"$python" -m accord.cli worker --workers 2 >"$run/logs/worker.log" 2>&1 &
echo $! >"$run/pids/worker.pid"
sed -e "s#listen 443 ssl http2;#listen 127.0.0.1:8080;#" -e "/ssl_certificate/d" \
    -e "s#server_name accord.police.example;#server_name localhost;#" "$here/nginx.conf" \
  | awk 'BEGIN{skip=0} /^server \{/{n++} n==2{skip=1} !skip{print}' >"$run/nginx/accord.conf"
cat >"$run/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $run/nginx/nginx.pid;
error_log $run/logs/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $run/nginx/body;
  proxy_temp_path $run/nginx/proxy;
  fastcgi_temp_path $run/nginx/fastcgi;
  uwsgi_temp_path $run/nginx/uwsgi;
  scgi_temp_path $run/nginx/scgi;
  include $run/nginx/accord.conf;
}
CONF
"$nginx_bin" -c "$run/nginx/nginx.conf" -e "$run/logs/nginx-error.log"
for _ in $(seq 1 120); do
  if curl -fsS http://127.0.0.1:8101/healthz >/dev/null 2>&1 && \
     curl -fsS http://127.0.0.1:8102/healthz >/dev/null 2>&1 && \
     curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1; then
    echo "Accord is up: http://127.0.0.1:8080 (nginx) -> 127.0.0.1:8101, 127.0.0.1:8102; worker pid $(cat "$run/pids/worker.pid")"
    echo "log-in: load.officer / load-officer-password   API token: $token"
    echo "load:   python bench/load.py --base-url http://127.0.0.1:8080 --username load.officer --password load-officer-password --token $token --store-heavy  (with ACCORD_STATE_DIR=$run/state; --no-busy skips the heavy-model part)"
    echo "stop:   deploy/up.sh down $run"
    exit 0
  fi
  sleep 1
done
echo "up.sh: the app processes did not answer; see $run/logs" >&2
exit 1

#!/usr/bin/env bash
# Our server beside PostGraphile and the hand-written floor, in one `peerbench` run on the demo
# data (the same sizes as peerbench's toy data), as the planner issue measures it:
#
#   bench/peerbench.sh [PEERBENCH_DIR]        # default: ../shared/tools/peerbench
#
# A first server (embedded PostgreSQL and Redis, pinned to CPU 0 like peerbench's database)
# holds the services and the demo data in $PB_DATA (default /tmp/aiplatform-peerbench; made
# once: `aiplatform demo-data --orgs 20` and a superuser). The server under test runs as one
# process on CPU 1 against those services, so peerbench counts only its own CPU, logged in
# as that superuser, with the default settings (rate limits on, a high per-user limit so the
# load is counted, not refused). Prints peerbench's tables, then how much CPU the host took
# during each load (steal); both servers stop at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERBENCH=${1:-../shared/tools/peerbench}
D=${PB_DATA:-/tmp/aiplatform-peerbench}
HOLD_PORT=${PB_HOLD_PORT:-8062}
PORT=${PB_SERVER_PORT:-8061}
PY=.venv/bin/python
pids=()
recorder=
cleanup() {
  [ -z "$recorder" ] || kill "$recorder" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
}
trap cleanup EXIT
wait_up() { for _ in $(seq 180); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 1; done; exit 1; }

for port in "$HOLD_PORT" "$PORT"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is in use: stop that server or set PB_HOLD_PORT / PB_SERVER_PORT" >&2; exit 1
  fi
done
fresh=0; [ -d "$D/postgres" ] || fresh=1
: > "$D.log"
AIPLATFORM_DATA_DIR=$D AIPLATFORM_PORT=$HOLD_PORT AIPLATFORM_ACCESS_LOG=false \
  setsid taskset -c 0 $PY -m app.cli serve > "$D.holder.log" 2>&1 &
pids+=($!)
wait_up "$HOLD_PORT"
if [ $fresh = 1 ]; then
  AIPLATFORM_DATA_DIR=$D $PY -m app.cli demo-data --orgs 20
  AIPLATFORM_DATA_DIR=$D $PY -m app.cli create-superuser --email pbench@example.com \
    --username pbench --password bench-password-1
fi
[ -f "$D/secret_key" ] || $PY -c "import secrets; print(secrets.token_urlsafe(48))" > "$D/secret_key"
DB="postgresql://postgres@/aiplatform?host=$D/postgres"
DATABASE_URL=$DB REDIS_URL="unix://$D/redis/redis.sock" AIPLATFORM_SECRET_KEY="$(cat "$D/secret_key")" \
  AIPLATFORM_DATA_DIR="$D-server" AIPLATFORM_PORT=$PORT AIPLATFORM_ACCESS_LOG=false \
  AIPLATFORM_RATE_LIMIT_PER_MINUTE_USER=1000000000 \
  setsid taskset -c 1 $PY -m app.cli serve --workers 1 > "$D.server.log" 2>&1 &
pids+=($!)
wait_up "$PORT"
TOKEN=$(curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
  -d '{"query":"mutation { logIn(input: {login: \"pbench\", password: \"bench-password-1\"}) { accessToken } }"}' \
  | $PY -c 'import json, sys; print(json.load(sys.stdin)["data"]["logIn"]["accessToken"])')
# the host's steal per CPU during each load (bench/steal.py): a run where it took a share of
# one server's CPU is not a comparison
$PY bench/steal.py record "$D.steal" &
recorder=$!
PB_PROJECT_HEADERS="authorization: Bearer $TOKEN" "$PEERBENCH/run.sh" "$DB" "http://127.0.0.1:$PORT/graphql" 2>&1 \
  | while IFS= read -r line; do printf '%s\n' "$line"; printf '%s %s\n' "$(date +%s.%N)" "$line" >> "$D.log"; done
kill "$recorder"
$PY bench/steal.py report "$D.steal" "$D.log"

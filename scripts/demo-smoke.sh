#!/usr/bin/env bash
# Runs the README's first command, `./kefu demo`, as a user would on this machine and checks what
# it promises: the relay up with the demo site, the demo shop page with the widget on it, and (with
# a display) the desktop app logged in as the demo agent. Then stops it all. `./kefu test` runs
# this after the build, so the demo never breaks unseen.
set -euo pipefail
cd "$(dirname "$0")/.."

port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 20000))
  if [ -z "$(ss -Hltn "sport = :$candidate")" ]; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "demo smoke test: no free port found" >&2; exit 1; }
work=$(mktemp -d)
log="$work/demo.log"
fail() {
  echo "demo smoke test FAILED: $*" >&2
  echo "--- ./kefu demo printed:" >&2
  cat "$log" >&2 || true
  exit 1
}

# Its own process group, so that stopping it stops the relay and the app it started.
env -u KEFU_HOST KEFU_PORT=$port KEFU_DATA="$work/data" setsid ./kefu demo >"$log" 2>&1 &
demo=$!
stop() {
  kill -TERM -- "-$demo" 2>/dev/null || true
  wait "$demo" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do
  grep -q "Kefu is running" "$log" && break
  kill -0 "$demo" 2>/dev/null || fail "it exited"
  sleep 0.5
done
grep -q "Kefu is running" "$log" || fail "not running after 120 s"

curl -fsS "$base/health" | grep -q '"status":"up"' || fail "no healthy relay at $base"
curl -fsS "$base/demo" | grep -q 'data-site="demo"' || fail "no demo page with the widget at $base/demo"
curl -fsS -o /dev/null "$base/widget.js" || fail "no widget.js at $base/widget.js"
grep -q "username demo, password $(cat "$work/data/demo-credentials.txt")" "$log" \
  || fail "the printed credentials are not the stored ones"
# Listening on this machine only (the demo prints an agent's password).
listening=$(ss -Hltn "sport = :$port" | awk '{print $4}')
printf "%s\n" "$listening" | grep -Eqv '^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):' && fail "listening beyond 127.0.0.1: $listening"

if [ -n "${DISPLAY:-}" ]; then
  for _ in $(seq 1 120); do
    curl -fsS "$base/metrics" | grep -q '^kefu_connections_agents 1' && break
    sleep 0.5
  done
  curl -fsS "$base/metrics" | grep -q '^kefu_connections_agents 1' \
    || fail "the desktop app did not connect as the demo agent within 60 s"
  echo "demo smoke test: relay, demo page and widget up; the desktop app connected as the demo agent"
else
  echo "demo smoke test: relay, demo page and widget up (no display: the desktop app was not started)"
fi

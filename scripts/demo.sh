#!/usr/bin/env bash
# Runs Kefu on its embedded defaults: the relay (SQLite and local files under ./kefu-data) with a
# demo site and demo agent, the demo shop page with the widget on it, and the agent desktop app
# logged in as the demo agent. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${KEFU_PORT:-8080}"
# The demo agent's password is printed and kept in the data folder: listen on this machine only
# unless asked (KEFU_HOST=0.0.0.0 to try it from another device on the network).
HOST="${KEFU_HOST:-127.0.0.1}"
DATA="${KEFU_DATA:-./kefu-data}"
RELAY_JAR=relay-server/target/kefu-relay.jar
AGENT_JAR=agent-desktop/target/kefu-agent.jar

stale() {
  [ ! -f "$RELAY_JAR" ] && return 0
  [ -d agent-desktop ] && [ ! -f "$AGENT_JAR" ] && return 0
  [ -n "$(find protocol relay-server visitor-widget agent-desktop -newer "$RELAY_JAR" \
      \( -name '*.java' -o -name '*.js' -o -name '*.html' -o -name 'pom.xml' \) -print -quit 2>/dev/null)" ]
}
if stale; then
  echo "building Kefu (the first build downloads dependencies and takes a few minutes)..."
  # package, not install: nothing of Kefu's goes into ~/.m2, where a later partial build could pick
  # up a stale copy instead of the module beside it.
  ./mvnw -B -q -ntp -DskipTests package -pl relay-server,agent-desktop -am
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

java -jar "$RELAY_JAR" serve --host "$HOST" --port "$PORT" --data "$DATA" --demo &
pids+=($!)

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
  sleep 0.5
done

if [ -f "$AGENT_JAR" ]; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = "Darwin" ]; then
    java -jar "$AGENT_JAR" --server "http://127.0.0.1:$PORT" --user demo --password-stdin \
      < "$DATA/demo-credentials.txt" &
    pids+=($!)
    echo "The agent app (客服工作台) is starting, logged in as the demo agent."
  else
    echo "No display: the agent app was not started. Run it on a desktop with:"
    echo "  java -jar $AGENT_JAR --server http://127.0.0.1:$PORT --user demo --password-stdin < $DATA/demo-credentials.txt"
  fi
fi
echo
echo "Kefu is running. Open the demo shop at http://127.0.0.1:$PORT/demo and chat as a visitor."
if command -v xdg-open >/dev/null && [ -n "${DISPLAY:-}" ]; then
  xdg-open "http://127.0.0.1:$PORT/demo" >/dev/null 2>&1 || true
fi
echo "Stop with Ctrl-C."
wait "${pids[0]}"

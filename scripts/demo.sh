#!/usr/bin/env bash
# Runs Kefu on its embedded defaults: the relay (SQLite and local files under ./kefu-data) with a
# demo site and demo agent, the demo shop page with the widget on it. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${KEFU_PORT:-8080}"
DATA="${KEFU_DATA:-./kefu-data}"
RELAY_JAR=relay-server/target/kefu-relay.jar

if [ ! -f "$RELAY_JAR" ] || [ -n "$(find protocol relay-server -newer "$RELAY_JAR" -name '*.java' -print -quit 2>/dev/null)" ]; then
  echo "building Kefu (first run takes a few minutes)..."
  ./mvnw -B -q -ntp -DskipTests install
fi

java -jar "$RELAY_JAR" serve --port "$PORT" --data "$DATA" --demo &
RELAY_PID=$!
trap 'kill $RELAY_PID 2>/dev/null; wait $RELAY_PID 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
echo
echo "Kefu is running. Open the demo shop at http://127.0.0.1:$PORT/demo and chat as a visitor."
echo "Stop with Ctrl-C."
wait $RELAY_PID

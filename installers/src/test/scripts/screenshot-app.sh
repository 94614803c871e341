#!/usr/bin/env bash
# Starts a desktop app on a fresh virtual display (xvfb-run), waits until a top-level window
# whose name contains PATTERN is mapped and painted, saves a screenshot of the whole screen and
# the window tree, then ends the app.
#
#   screenshot-app.sh OUT_DIR PATTERN TIMEOUT_SEC COMMAND [ARGS...]
#
# Writes OUT_DIR/screenshot.png, OUT_DIR/windows.txt (xwininfo -root -tree), OUT_DIR/app.log.
# Exit status 0 when the window appeared and was painted, 1 when not within TIMEOUT_SEC.
set -euo pipefail

if [ -z "${KEFU_INSIDE_XVFB:-}" ]; then
  export KEFU_INSIDE_XVFB=1
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi

out=$1 pattern=$2 timeout=$3
shift 3
mkdir -p "$out"
"$@" > "$out/app.log" 2>&1 &
app=$!

found=""
deadline=$(( $(date +%s) + timeout ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if ! kill -0 "$app" 2>/dev/null; then
    echo "the app exited early; see $out/app.log" >&2
    break
  fi
  if xwininfo -root -tree 2>/dev/null | grep -F "\"" | grep -qF "$pattern"; then
    found=yes
    break
  fi
  sleep 0.5
done

# Mapped is not painted: take screenshots until the screen shows more than a few colours
# (an empty window is one flat colour), within the same time limit.
painted=""
while [ -n "$found" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  import -window root "$out/screenshot.png" 2>/dev/null || true
  if [ "$(convert "$out/screenshot.png" -format %k info: 2>/dev/null || echo 0)" -gt 16 ]; then
    painted=yes
    sleep 1 # one more frame, for text that arrives after the first layout
    break
  fi
  sleep 0.5
done
xwininfo -root -tree > "$out/windows.txt" 2>&1 || true
import -window root "$out/screenshot.png" || true
[ -n "$painted" ] || echo "the window never showed more than a few colours" >&2

# End the app: SIGTERM, then SIGKILL if it lingers.
if kill -0 "$app" 2>/dev/null; then
  kill "$app" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$app" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$app" 2>/dev/null || true
fi
wait "$app" 2>/dev/null || true

[ -n "$found" ] && [ -n "$painted" ]

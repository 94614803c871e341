# Sourced by ./kefu: gives the UI tests a display. Uses the current one if there is one, else
# starts a virtual framebuffer (Xvfb) on the first free display of :90-:110 and stops it when the
# sourcing shell exits (an EXIT trap; INT and TERM exit through it too). Only the Xvfb started
# here is stopped, by its PID: a display that was already there is left alone.
kefu_xvfb_pid=""

kefu_stop_display() {
  local pid=$kefu_xvfb_pid
  kefu_xvfb_pid=""
  # Still our Xvfb (not a recycled PID)? Then stop it and wait, so its lock file is gone too.
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = Xvfb ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}

if [ -z "${DISPLAY:-}" ] && command -v Xvfb >/dev/null; then
  for n in $(seq 90 110); do
    if [ ! -e "/tmp/.X${n}-lock" ]; then
      Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
      kefu_xvfb_pid=$!
      trap kefu_stop_display EXIT
      trap 'exit 130' INT
      trap 'exit 143' TERM
      export DISPLAY=":$n"
      for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
      break
    fi
  done
fi

#!/usr/bin/env bash
# Installs the system packages the test suite needs, only those missing. Debian/Ubuntu, as root
# (or with sudo). Safe to run again: it does nothing when everything is there.
set -euo pipefail

need=()
command -v java >/dev/null || need+=(openjdk-17-jdk-headless)
command -v curl >/dev/null || need+=(curl)
# ss, to check what a server listens on (the demo's smoke test)
command -v ss >/dev/null || need+=(iproute2)
# Browser tests of the widget drive Debian's Chromium through its own driver.
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
# The desktop app's UI tests run in a real window on a virtual display.
command -v Xvfb >/dev/null || need+=(xvfb)
command -v import >/dev/null || need+=(imagemagick)
# fonts so that screenshots show Chinese text
[ -d /usr/share/fonts/opentype/noto ] || [ -d /usr/share/fonts/truetype/wqy ] || need+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-test-deps: need root (or sudo) to install: ${need[*]}" >&2
    exit 1
  fi
fi
echo "install-test-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

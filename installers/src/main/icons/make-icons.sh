#!/usr/bin/env bash
# Redraws the agent app's icon (a white speech bubble on a blue rounded square) with ImageMagick:
#   kefu-agent.png  256x256, Linux menu entry and window (checked in)
#   kefu-agent.ico  16..256 px, Windows .msi (checked in)
# The macOS .icns is made from the PNG on the macOS runner (sips + iconutil, see ci/), because
# ImageMagick 6 cannot write ICNS.
set -euo pipefail
cd "$(dirname "$0")"

convert -size 256x256 xc:none \
  -fill '#1f6feb' -draw "roundrectangle 8,8 248,248 48,48" \
  -fill white -draw "roundrectangle 52,64 204,164 28,28" -draw "polygon 84,160 84,204 128,160" \
  -fill '#1f6feb' -draw "circle 92,114 92,128" -draw "circle 128,114 128,128" -draw "circle 164,114 164,128" \
  -depth 8 -strip kefu-agent.png
convert kefu-agent.png -define icon:auto-resize=256,128,64,48,32,16 kefu-agent.ico

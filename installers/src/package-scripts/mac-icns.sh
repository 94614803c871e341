#!/usr/bin/env bash
# macOS only: kefu-agent.png -> kefu-agent.icns with the system's sips and iconutil
# (ImageMagick 6 cannot write ICNS).   mac-icns.sh SOURCE.png OUT.icns
set -euo pipefail
src=$1 out=$2
set_dir="$(dirname "$out")/kefu-agent.iconset"
rm -rf "$set_dir"
mkdir -p "$set_dir"
for size in 16 32 128 256; do
  sips -z "$size" "$size" "$src" --out "$set_dir/icon_${size}x${size}.png" >/dev/null
  double=$((size * 2))
  sips -z "$double" "$double" "$src" --out "$set_dir/icon_${size}x${size}@2x.png" >/dev/null
done
iconutil -c icns "$set_dir" -o "$out"

#!/usr/bin/env bash
# Builds the agent app's .deb and .rpm with jpackage: jlink runtime (JDK modules only) ->
# jpackage --type deb / rpm over the shaded kefu-agent.jar (JavaFX and its natives inside).
#
#   agent-linux.sh --jar agent-desktop/target/kefu-agent.jar --maven-version 0.1.0-SNAPSHOT \
#                  [--package-version 0.1.1] [--release 1] [--types deb,rpm] [--work DIR] [--out DIR]
#                  [--maintainer "N <E>"]
#
# Skips (exit 0, with a message) when the jar is missing: the agent app is built by its own
# module, which may not be part of the build yet. Skips the .rpm when rpmbuild is missing.
# Run from the installers module folder (Maven does). Paths below are relative to it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/package-scripts/lib.sh

types=deb,rpm
read_package_options agent-linux.sh target/agent types "$@"
if [ ! -f "$jar" ]; then
  log "SKIPPED the agent app packages: $jar not found (build agent-desktop first)"
  exit 0
fi
command -v objcopy >/dev/null || die "objcopy not found: jpackage needs binutils (apt-get install binutils)"

version=$(package_version "$maven_version" "$override")
mkdir -p "$work" "$out"
work=$(realpath "$work")
out=$(realpath "$out")

jlink_runtime src/jlink/agent.args "$work/runtime"
rm -rf "$work/input"
mkdir -p "$work/input"
slim_jar "$jar" "$work/input/kefu-agent.jar"

maintainer_email=${maintainer##*<}
maintainer_email=${maintainer_email%>}
for type in ${types//,/ }; do
  case "$type" in
    deb)
      command -v dpkg-deb >/dev/null && command -v fakeroot >/dev/null \
        || die "jpackage --type deb needs dpkg-deb and fakeroot (apt-get install fakeroot)" ;;
    rpm)
      if ! command -v rpmbuild >/dev/null; then
        log "SKIPPED the agent .rpm: rpmbuild not found (apt-get install rpm)"
        continue
      fi ;;
    *) die "unknown package type $type" ;;
  esac
  # JavaFX's libraries, which jpackage cannot see (its natives are inside the jar). Debian
  # package names for the .deb; for the .rpm, library capabilities that every RPM distribution
  # provides under its own package names (gtk3 / libgtk-3-0, mesa-libGL / Mesa-libGL1), plus
  # libXtst for AWT's tray icon: jpackage on a Debian machine finds no RPM packages by itself.
  if [ "$type" = deb ]; then
    deps="libgtk-3-0, libgl1"
  else
    bits=""
    case "$(uname -m)" in x86_64|aarch64|ppc64le|s390x|riscv64) bits="(64bit)" ;; esac
    deps="libgtk-3.so.0()$bits, libGL.so.1()$bits, libXtst.so.6()$bits"
  fi
  started=$(date +%s)
  rm -rf "$work/jpackage-$type"
  "$(jdk_tool jpackage)" @src/jpackage/agent/common.args @src/jpackage/agent/linux.args \
    --type "$type" \
    --app-version "$version" \
    --linux-app-release "$release" \
    --linux-package-deps "$deps" \
    --linux-deb-maintainer "$maintainer_email" \
    --input "$work/input" \
    --runtime-image "$work/runtime" \
    --temp "$work/jpackage-$type" \
    --dest "$out"
  if [ "$type" = deb ]; then
    file="$out/kefu-agent_${version}-${release}_$(deb_arch).deb"
    installed_kib=$(dpkg-deb -f "$file" Installed-Size)
  else
    file=$(ls -t "$out"/kefu-agent-"${version}"-"${release}".*.rpm | head -1)
    installed_kib=$(( $(rpm -qp --queryformat '%{SIZE}' "$file" 2>/dev/null) / 1024 ))
  fi
  seconds=$(( $(date +%s) - started ))
  record "$out/build-report.txt" "agent-$type" "$seconds" "$file" "$installed_kib"
  log "built $file ($(du -h "$file" | cut -f1), ${seconds} s)"
  echo "$file"
done

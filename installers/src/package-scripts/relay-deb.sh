#!/usr/bin/env bash
# Builds the relay's .deb: jlink runtime -> jpackage app image -> dpkg-deb.
#
#   relay-deb.sh --jar relay-server/target/kefu-relay.jar --maven-version 0.1.0-SNAPSHOT \
#                [--package-version 0.1.1] [--release 1] [--work DIR] [--out DIR] [--maintainer "N <E>"]
#
# Why dpkg-deb around a jpackage app image rather than `jpackage --type deb`: jpackage's .deb
# can only hold the app folder (/opt/kefu-relay). The relay needs files elsewhere, owned by the
# package: the systemd unit in /lib/systemd/system, /etc/kefu/relay.properties as a conffile
# (upgrades keep an admin's changes, purge deletes it) and /usr/bin/kefu-relay. jpackage would
# leave those to postinst, as files dpkg does not know about.
#
# Run from the installers module folder (Maven does). Paths below are relative to it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/package-scripts/lib.sh

read_package_options relay-deb.sh target/relay "" "$@"
[ -f "$jar" ] || die "$jar not found: build the relay first (./mvnw -Pinstallers package builds it in the same run)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (apt-get install dpkg)"
command -v objcopy >/dev/null || die "objcopy not found: jpackage needs binutils (apt-get install binutils)"

started=$(date +%s)
version="$(package_version "$maven_version" "$override")-${release}"
arch=$(deb_arch)
mkdir -p "$work" "$out"
work=$(realpath "$work")
out=$(realpath "$out")

# 1. Runtime: only the JDK modules the relay needs (src/jlink/relay.args says which and why).
jlink_runtime src/jlink/relay.args "$work/runtime"

# 2. App image: launcher + runtime + the shaded jar (slimmed to this machine's SQLite library).
rm -rf "$work/input" "$work/image"
mkdir -p "$work/input" "$work/image"
slim_jar "$jar" "$work/input/kefu-relay.jar"
"$(jdk_tool jpackage)" @src/jpackage/relay/app-image.args \
  --app-version "${version%%[~-]*}" \
  --input "$work/input" \
  --runtime-image "$work/runtime" \
  --dest "$work/image"

# 3. Package tree.
root="$work/deb"
rm -rf "$root"
install -d "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/kefu" \
  "$root/usr/share/doc/kefu-relay"
cp -a "$work/image/kefu-relay" "$root/opt/kefu-relay"
rm -f "$root/opt/kefu-relay/lib/runtime/.kefu-stamp"
install -m 0755 src/deb/relay/kefu-relay "$root/usr/bin/kefu-relay"
install -m 0644 src/deb/relay/kefu-relay.service "$root/lib/systemd/system/kefu-relay.service"
install -m 0640 src/deb/relay/relay.properties "$root/etc/kefu/relay.properties"
if [ -f ../docs/install.md ]; then
  install -m 0644 ../docs/install.md "$root/usr/share/doc/kefu-relay/install.md"
fi
# Files as dpkg expects them whatever the umask: folders 755, files 644 unless executable.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -perm -u+x -exec chmod 0755 {} +
find "$root" -type f ! -perm -u+x ! -path "$root/etc/kefu/*" -exec chmod 0644 {} +

install -m 0755 src/deb/relay/postinst src/deb/relay/prerm src/deb/relay/postrm "$root/DEBIAN/"
install -m 0644 src/deb/relay/conffiles "$root/DEBIAN/conffiles"
depends=$(deb_depends "$root/opt/kefu-relay")
[ -n "$depends" ] || die "could not work out the runtime's library packages (ldd / dpkg -S)"
depends="$depends, passwd"
installed_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_kib|" -e "s|@DEPENDS@|$depends|" \
    src/deb/relay/control.in > "$root/DEBIAN/control"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

deb="$out/kefu-relay_${version}_${arch}.deb"
rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
seconds=$(( $(date +%s) - started ))
record "$out/build-report.txt" relay-deb "$seconds" "$deb" "$installed_kib"
log "built $deb ($(du -h "$deb" | cut -f1), ${seconds} s, Depends: $depends)"
echo "$deb"

#!/usr/bin/env bash
# Builds the native packages and runs the installer tests, for CI (and for anyone with a
# disposable Debian/Ubuntu machine or container): install, start, upgrade, purge for real.
#
#   installers/test-installers.sh [extra Maven options]
#
# Needs root (dpkg -i, a system user) and installs what it lacks with apt-get: fakeroot and
# binutils (jpackage), rpm (the .rpm), zip, xvfb, xauth, imagemagick and x11-utils (the agent
# app's window), gnupg (signing test), sqlite3 (backup test). The tests purge every package they
# install and stop every process they start. Results: installers/target/failsafe-reports/, screenshots and logs in
# installers/target/installer-tests/, packages in installers/target/packages/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "test-installers: run as root (it installs and purges packages): sudo $0" >&2
  exit 1
fi

need=()
command -v java >/dev/null || need+=(openjdk-17-jdk-headless)
command -v fakeroot >/dev/null || need+=(fakeroot)
command -v objcopy >/dev/null || need+=(binutils)
command -v rpmbuild >/dev/null || need+=(rpm)
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
command -v xvfb-run >/dev/null || need+=(xvfb)
command -v xauth >/dev/null || need+=(xauth)
command -v import >/dev/null || need+=(imagemagick)
command -v xwininfo >/dev/null || need+=(x11-utils)
command -v gpg >/dev/null || need+=(gnupg)
command -v sqlite3 >/dev/null || need+=(sqlite3)
# The agent app's window needs GTK 3 and OpenGL libraries (its .deb depends on them).
dpkg -s libgtk-3-0 >/dev/null 2>&1 || need+=(libgtk-3-0)
dpkg -s libgl1 >/dev/null 2>&1 || need+=(libgl1)
if [ ${#need[@]} -gt 0 ]; then
  echo "test-installers: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

started=$(date +%s)
tests=(-Dtest='dev.kefu.installers.*Test*' -Dsurefire.failIfNoSpecifiedTests=false
       -Dit.test='dev.kefu.installers.*IT*' -Dfailsafe.failIfNoSpecifiedTests=false
       -Dkefu.installers.strict=true)
if grep -q '<module>installers</module>' pom.xml; then
  # The jars come from their modules in the same run (their own tests are not run here:
  # ./kefu test runs those). agent-desktop joins when it is a module of the root pom.
  modules=installers
  if grep -q '<module>agent-desktop</module>' pom.xml; then
    modules=agent-desktop,installers
  fi
  ./mvnw -B -ntp -Pinstallers -pl "$modules" -am verify "${tests[@]}" "$@"
else
  # Root pom without the installers profile yet: package the jars the last build left.
  echo "test-installers: no installers profile in pom.xml; using relay-server/target and agent-desktop/target as they are"
  ./mvnw -B -ntp -f installers/pom.xml verify "${tests[@]}" "$@"
fi
echo "test-installers: done in $(( $(date +%s) - started )) s"
cat installers/target/packages/build-report.txt 2>/dev/null || true

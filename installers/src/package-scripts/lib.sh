# Shared by the Linux packaging scripts (sourced, not run). Needs bash.

log() { echo "[installers] $*" >&2; }
die() { log "error: $*"; exit 1; }

# The command line of the package builders (relay-deb.sh, agent-linux.sh), each option also as
# --name=value:
#   --jar JAR --maven-version V [--package-version V] [--release N] [--work DIR] [--out DIR]
#   [--maintainer "N <E>"]
# Sets jar, maven_version, override (the --package-version; "" for none), release (1), work
# (WORK), out (target/packages) and maintainer. EXTRA names the script's own options, e.g.
# "types" for --types: each goes to the variable of that name, whose default the script sets
# before. Dies on an unknown option, or without --jar and --maven-version.
#
#   read_package_options SCRIPT WORK EXTRA "$@"
read_package_options() {
  local script=$1 extra=" $3 " name
  work=$2
  shift 3
  jar="" maven_version="" override="" release=1 out=target/packages
  maintainer="Kefu <packages@kefu.invalid>"
  while [ $# -gt 0 ]; do
    case "$1" in --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;; esac
    case "$1" in
      --jar) jar=$2 ;;
      --maven-version) maven_version=$2 ;;
      --package-version) override=$2 ;;
      --release) release=$2 ;;
      --work) work=$2 ;;
      --out) out=$2 ;;
      --maintainer) maintainer=$2 ;;
      --*) name=${1#--}
        [[ $extra == *" $name "* ]] || die "unknown option $1"
        printf -v "${name//-/_}" '%s' "$2" ;;
      *) die "unknown option $1" ;;
    esac
    shift 2
  done
  [ -n "$jar" ] && [ -n "$maven_version" ] || die "usage: $script --jar JAR --maven-version V [...]"
}

# The JDK whose jlink/jpackage build the packages: Maven passes its own java.home as JAVA_HOME.
jdk_tool() {
  local tool=$1
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/$tool" ]; then
    echo "$JAVA_HOME/bin/$tool"
  elif command -v "$tool" >/dev/null 2>&1; then
    command -v "$tool"
  else
    die "$tool not found: set JAVA_HOME to a JDK 17+ (not a JRE)"
  fi
}

# Maven version -> Debian/RPM version: 0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT ('~' sorts before
# the release, so 0.1.0 replaces 0.1.0~SNAPSHOT). An explicit package version wins.
package_version() {
  local maven_version=$1 override=${2:-}
  local v=${override:-$maven_version}
  v=${v//-/\~}
  [[ $v =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "not a valid package version: '$v'"
  echo "$v"
}

deb_arch() { dpkg --print-architecture 2>/dev/null || echo amd64; }

# The folder of sqlite-jdbc's native library for this machine (org/sqlite/native/Linux/<arch>).
sqlite_native_arch() {
  case "$(uname -m)" in
    x86_64) echo x86_64 ;;
    aarch64|arm64) echo aarch64 ;;
    armv7l) echo armv7 ;;
    i?86) echo x86 ;;
    ppc64le) echo ppc64 ;;
    riscv64) echo riscv64 ;;
    *) uname -m ;;
  esac
}

# Copies a shaded jar, keeping only the SQLite native library this machine runs (the jar carries
# 20-odd, about 12 MB), and without module descriptors left over from shaded libraries (meaningless
# on the class path; they make jdeps take the jar for jackson-databind's module). The classes and
# everything else stay as they are.
slim_jar() {
  local src=$1 dest=$2 keep
  keep="org/sqlite/native/Linux/$(sqlite_native_arch)/"
  cp "$src" "$dest"
  if ! command -v zip >/dev/null 2>&1; then
    log "zip not installed: packaging $(basename "$src") with every SQLite native library"
    return 0
  fi
  local entries
  entries=$(unzip -Z1 "$dest")
  grep -F "${keep}libsqlitejdbc.so" <<<"$entries" >/dev/null \
    || die "$(basename "$src") has no ${keep}libsqlitejdbc.so: wrong machine architecture?"
  local drop
  drop=$( { grep '^org/sqlite/native/.*[^/]$' <<<"$entries" | grep -vF "$keep" || true
            grep -E '(^|/)module-info\.class$' <<<"$entries" || true; } )
  if [ -n "$drop" ]; then
    zip -q -d "$dest" -@ <<<"$drop" >/dev/null
  fi
}

# jlink a runtime from an argument file, reusing the last one while the options and the JDK
# are unchanged (jlink takes 20-40 s).
jlink_runtime() {
  local args_file=$1 out=$2 jlink stamp
  jlink=$(jdk_tool jlink)
  stamp="$(sha256sum "$args_file" | cut -d' ' -f1) $("$(jdk_tool java)" -version 2>&1 | tr '\n' ' ')"
  if [ -f "$out/.kefu-stamp" ] && [ "$(cat "$out/.kefu-stamp")" = "$stamp" ]; then
    log "runtime $out is up to date"
    return 0
  fi
  rm -rf "$out"
  log "jlink @$(basename "$args_file") -> $out"
  "$jlink" @"$args_file" --output "$out"
  echo "$stamp" > "$out/.kefu-stamp"
}

# Debian packages providing the shared libraries that the ELF files under a folder link to
# (what jpackage does for its own .deb: ldd, then dpkg -S).
deb_depends() {
  local dir=$1 libs pkgs lib real
  libs=$(find "$dir" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
    | xargs -0 -r ldd 2>/dev/null | awk '/=> \// {print $3}' | sort -u)
  pkgs=""
  for lib in $libs; do
    case "$lib" in "$dir"/*) continue ;; esac
    real=$(readlink -f "$lib")
    pkgs+=$'\n'$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
  done
  echo "$pkgs" | awk -F: 'NF > 1 {print $1}' | sort -u | paste -sd, - | sed 's/,/, /g'
}

# One line per package in the build report: name, build seconds, bytes, installed KiB.
record() {
  local report=$1 name=$2 seconds=$3 file=$4 installed_kib=${5:-}
  printf '%s\t%s s\t%s bytes\t%s\t%s\n' "$name" "$seconds" "$(stat -c %s "$file")" \
    "${installed_kib:+installed ${installed_kib} KiB}" "$(basename "$file")" >> "$report"
}

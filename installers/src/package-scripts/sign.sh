#!/usr/bin/env bash
# Signs the Linux packages in a folder, when a key is there to sign with:
#   KEFU_GPG_KEY_ID   key id, fingerprint or e-mail of a secret key in gpg's keyring
#                     (GNUPGHOME to use another keyring; KEFU_GPG_PASSPHRASE if it has one)
# For every .deb and .rpm it writes a detached ASCII signature (FILE.asc), signs the .rpm itself
# as well (rpmsign --addsign, checked by `rpm -K` and by dnf/zypper with gpgcheck), the .deb too
# when debsigs is installed (checked by debsig-verify), and writes
# SHA256SUMS with a clear-signed SHA256SUMS.asc. Without a key (or gpg) it writes SHA256SUMS,
# says it skipped the signatures, and succeeds: unsigned builds are normal on developer machines.
#
#   sign.sh [FOLDER]      (default target/packages)
# Verify: gpg --verify kefu-relay_*.deb.asc kefu-relay_*.deb ; rpm -K kefu-agent-*.rpm
set -euo pipefail
cd "$(dirname "$0")/../.."
source src/package-scripts/lib.sh

dir=${1:-target/packages}
[ -d "$dir" ] || die "$dir: no such folder"
cd "$dir"
shopt -s nullglob
packages=(*.deb *.rpm)
if [ ${#packages[@]} -eq 0 ]; then
  log "sign: no .deb or .rpm in $dir"
  exit 0
fi
sha256sum "${packages[@]}" > SHA256SUMS

key=${KEFU_GPG_KEY_ID:-}
if [ -z "$key" ]; then
  log "sign: SKIPPED signatures (KEFU_GPG_KEY_ID is not set)"
  exit 0
fi
if ! command -v gpg >/dev/null; then
  log "sign: SKIPPED signatures (gpg is not installed)"
  exit 0
fi
if ! gpg --batch --list-secret-keys "$key" >/dev/null 2>&1; then
  log "sign: SKIPPED signatures (no secret key '$key' in ${GNUPGHOME:-~/.gnupg})"
  exit 0
fi

gpg_args=(--batch --yes --local-user "$key")
# Debian's rpm looks for /usr/bin/gpg2: point it at the gpg found here.
rpm_args=(--define "_gpg_name $key" --define "__gpg $(command -v gpg)")
if [ -n "${KEFU_GPG_PASSPHRASE:-}" ]; then
  umask 077
  secret_dir=$(mktemp -d)
  trap 'rm -rf "$secret_dir"' EXIT
  printf '%s' "$KEFU_GPG_PASSPHRASE" > "$secret_dir/passphrase"
  gpg_args+=(--pinentry-mode loopback --passphrase-file "$secret_dir/passphrase")
  rpm_args+=(--define "_gpg_sign_cmd_extra_args --pinentry-mode loopback --passphrase-file $secret_dir/passphrase")
fi

for p in "${packages[@]}"; do
  if [[ $p == *.deb ]] && command -v debsigs >/dev/null; then
    # An "origin" signature inside the .deb (a _gpgorigin member), checked by debsig-verify
    # where the admin installed a policy for this key (see docs/install.md).
    debsigs --sign=origin -k "$key" "$p"
    log "sign: $p (debsigs origin signature)"
  fi
  if [[ $p == *.rpm ]]; then
    if command -v rpmsign >/dev/null; then
      # Into the .rpm's header (checked by rpm -K, dnf and zypper). It changes the file, so it
      # comes before the detached signature and the checksums.
      rpmsign --addsign "${rpm_args[@]}" "$p" >/dev/null
      log "sign: $p (rpm header signature)"
    else
      log "sign: rpmsign not installed: $p gets a detached signature only"
    fi
  fi
done
sha256sum "${packages[@]}" > SHA256SUMS
for p in "${packages[@]}"; do
  gpg "${gpg_args[@]}" --armor --detach-sign --output "$p.asc" "$p"
  log "sign: $p.asc"
done
gpg "${gpg_args[@]}" --clearsign --output SHA256SUMS.asc SHA256SUMS
log "sign: SHA256SUMS.asc"

#!/bin/sh
# Make SHA256SUMS for every release file in a folder and sign it with minisign.
#   packaging/release/sign-release.sh dist/ [-s ~/.minisign/kpfield-release.key]
# The secret key stays on the release machine (offline if possible); the public key is
# published in the README and on the coalition's site. Users verify with
#   minisign -Vm SHA256SUMS -p kpfield-release.pub && sha256sum -c --ignore-missing SHA256SUMS
set -eu
DIR=${1:?usage: sign-release.sh DIR [minisign options]}
shift
cd "$DIR"
files=$(ls | grep -E '\.(tar\.xz|exe|dmg|zip|AppImage|whl|tar\.gz)$' || true)
[ -n "$files" ] || { echo "sign-release.sh: no release files in $DIR" >&2; exit 1; }
# shellcheck disable=SC2086
sha256sum $files > SHA256SUMS
minisign -S -m SHA256SUMS -t "KP Field release SHA256SUMS $(date -u +%Y-%m-%d)" "$@"
# Check what was just written, as a user will (MINISIGN_PUB: the public key file).
if [ -n "${MINISIGN_PUB:-}" ]; then
  minisign -V -q -m SHA256SUMS -p "$MINISIGN_PUB"
  sha256sum -c --quiet SHA256SUMS
fi
echo "wrote $DIR/SHA256SUMS and $DIR/SHA256SUMS.minisig"

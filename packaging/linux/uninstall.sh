#!/bin/sh
# Remove KP Field. The program only: vaults (reports, photos, keys) are kept unless you ask.
#   uninstall.sh                          # remove the program, keep every vault
#   uninstall.sh --prefix DIR             # the installation made with install.sh --prefix DIR
#   uninstall.sh --erase-vault [--data-dir DIR]
#                                         # ALSO erase the vault (asks you to type ERASE first;
#                                         # the key file is destroyed, nothing can be recovered)
set -eu
APP_ID=org.kpcivilsociety.KPField
PREFIX="${HOME}/.local"
ERASE=no
DATA_DIR=""
YES=no

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    --erase-vault) ERASE=yes; shift ;;
    --data-dir) DATA_DIR=$2; shift 2 ;;
    --data-dir=*) DATA_DIR=${1#--data-dir=}; shift ;;
    --yes) YES=yes; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

LIB="$PREFIX/lib/kpfield"
[ -d "$LIB" ] || { echo "uninstall.sh: KP Field is not installed in $LIB" >&2; exit 1; }

if [ "$ERASE" = yes ]; then
  if [ "$YES" != yes ]; then
    printf 'This erases the vault%s for ever. Type ERASE to go on: ' "${DATA_DIR:+ in $DATA_DIR}"
    read -r answer
    [ "$answer" = ERASE ] || { echo "Nothing was removed."; exit 1; }
  fi
  # The app's own wipe: the key file is overwritten first (crypto-erase), then the rest.
  if [ -n "$DATA_DIR" ]; then
    "$LIB/kpfield" wipe --yes --data-dir "$DATA_DIR"
  else
    "$LIB/kpfield" wipe --yes
  fi
fi

if [ -f "$LIB/installed-files.txt" ]; then
  while IFS= read -r f; do
    case "$f" in "$PREFIX"/*) rm -f "$f" ;; esac  # never outside what install.sh wrote
  done < "$LIB/installed-files.txt"
fi
rm -rf "$LIB"
SHARE="$PREFIX/share"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
echo "KP Field removed from $LIB."
[ "$ERASE" = yes ] || echo "Your vault was kept (kpfield's data folder); reinstall to open it again."

#!/bin/sh
# Install KP Field from this folder. Per user, into ~/.local, unless told otherwise:
#   ./install.sh                 # ~/.local/lib/kpfield, ~/.local/bin/kpfield, menu entry, icons
#   ./install.sh --prefix DIR    # somewhere else (e.g. /usr/local, as root, for every user)
# The vault is never inside the installation: it lives in ~/.local/share/kpfield (or wherever
# --data-dir points), so installing a new version over an old one keeps every report.
set -eu
APP_ID=org.kpcivilsociety.KPField
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX="${HOME}/.local"

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

[ -x "$HERE/kpfield/kpfield" ] || { echo "install.sh: run me from the unpacked KP Field folder" >&2; exit 2; }
umask 022
LIB="$PREFIX/lib/kpfield"
SHARE="$PREFIX/share"
RES="$HERE/kpfield/_internal/kpfield/_resources/icons"

# Replace an older copy whole: a stale library from a previous version must not survive.
if [ -d "$LIB" ]; then rm -rf "$LIB"; fi
mkdir -p "$LIB" "$PREFIX/bin" "$SHARE/applications" "$SHARE/metainfo"
cp -R "$HERE/kpfield/." "$LIB/"
ln -sf "$LIB/kpfield" "$PREFIX/bin/kpfield"
list="$LIB/installed-files.txt"
: > "$list"
sed "s|^Exec=kpfield |Exec=$PREFIX/bin/kpfield |; s|^TryExec=kpfield$|TryExec=$PREFIX/bin/kpfield|" \
  "$HERE/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
cp "$HERE/$APP_ID.metainfo.xml" "$SHARE/metainfo/$APP_ID.metainfo.xml"
echo "$PREFIX/bin/kpfield" >> "$list"
echo "$SHARE/applications/$APP_ID.desktop" >> "$list"
echo "$SHARE/metainfo/$APP_ID.metainfo.xml" >> "$list"
for size in 16 32 48 64 128 256; do
  dir="$SHARE/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  cp "$RES/kpfield-$size.png" "$dir/$APP_ID.png"
  echo "$dir/$APP_ID.png" >> "$list"
done
mkdir -p "$SHARE/icons/hicolor/scalable/apps"
cp "$RES/kpfield.svg" "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
echo "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg" >> "$list"
cp "$HERE/uninstall.sh" "$LIB/uninstall.sh"
chmod 755 "$LIB/uninstall.sh"

# Menus and icon caches pick the entry up; not having these tools is not an error.
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true

echo "KP Field installed in $LIB"
echo "Start it from the applications menu, or run: $PREFIX/bin/kpfield"
case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "(add $PREFIX/bin to your PATH to type 'kpfield')" ;; esac
echo "To remove it: $LIB/uninstall.sh"

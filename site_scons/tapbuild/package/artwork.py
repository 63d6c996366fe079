"""The installer's icon and bitmaps, drawn in code so they are the project's own and
byte-identical on every build.

The motif: a network adapter card (green board, gold contacts) with a tunnel arrow across
it, on a blue tile. ``write_all(folder)`` writes ``tap.ico`` (16, 32, 48 pixels, 32-bit),
``header.bmp`` (150x57, the MUI page header) and ``wizard.bmp`` (164x314, the welcome and
finish pages), as 24-bit BMPs.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

RGBA = tuple[float, float, float, float]
Shader = Callable[[float, float], RGBA | None]  # (x, y) in 0..1 -> colour or None (clear)

BLUE_TOP = (0.11, 0.32, 0.62)
BLUE_BOTTOM = (0.04, 0.16, 0.38)
BOARD = (0.16, 0.55, 0.33)
GOLD = (0.95, 0.76, 0.22)
WHITE = (1.0, 1.0, 1.0)


def _mix(
    a: tuple[float, float, float], b: tuple[float, float, float], t: float
) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _in_round_rect(
    x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float
) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _emblem(x: float, y: float) -> tuple[float, float, float] | None:
    """The adapter card and the arrow, in a unit square; None outside them."""
    # Tunnel arrow: a shaft and a head pointing right, over the card.
    if 0.18 <= x <= 0.62 and 0.40 <= y <= 0.50:
        return WHITE
    if 0.62 <= x <= 0.86 and abs(y - 0.45) <= (0.86 - x) * 0.75:
        return WHITE
    # Contacts below the board.
    if 0.66 <= y <= 0.80 and 0.22 <= x <= 0.78 and int((x - 0.22) / 0.08) % 2 == 0:
        return GOLD
    if _in_round_rect(x, y, 0.12, 0.22, 0.88, 0.68, 0.06):
        return BOARD
    return None


def icon_shader(x: float, y: float) -> RGBA | None:
    if not _in_round_rect(x, y, 0.02, 0.02, 0.98, 0.98, 0.18):
        return None
    colour = _emblem(x, y)
    if colour is None:
        colour = _mix(BLUE_TOP, BLUE_BOTTOM, y)
    return (*colour, 1.0)


def wizard_shader(width: int, height: int) -> Shader:
    """Blue gradient, the emblem in the upper part, faint tunnel rings below it."""
    emblem_size = 0.8 * width

    def shade(x: float, y: float) -> RGBA:
        px, py = x * width, y * height
        base = _mix(BLUE_TOP, BLUE_BOTTOM, y)
        ex = (px - 0.1 * width) / emblem_size
        ey = (py - 0.12 * height) / emblem_size
        if 0 <= ex <= 1 and 0 <= ey <= 1:
            colour = _emblem(ex, ey)
            if colour is not None:
                return (*colour, 1.0)
        ring = ((px - width / 2) ** 2 + (py - 0.72 * height) ** 2) ** 0.5
        if int(ring) % 14 in (0, 1) and py > 0.45 * height:
            base = _mix(base, WHITE, 0.12)
        return (*base, 1.0)

    return shade


def header_shader(width: int, height: int) -> Shader:
    """White, with the emblem tile at the right edge."""
    tile = height - 8

    def shade(x: float, y: float) -> RGBA:
        px, py = x * width, y * height
        tx = (px - (width - tile - 4)) / tile
        ty = (py - 4) / tile
        if 0 <= tx <= 1 and 0 <= ty <= 1:
            c = icon_shader(tx, ty)
            if c is not None:
                return c
        return (*WHITE, 1.0)

    return shade


def render(shader: Shader, width: int, height: int, samples: int = 3) -> list[list[RGBA]]:
    """Rows top to bottom of RGBA pixels, supersampled ``samples``x``samples``."""
    rows: list[list[RGBA]] = []
    n = samples * samples
    for j in range(height):
        row: list[RGBA] = []
        for i in range(width):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sj in range(samples):
                for si in range(samples):
                    c = shader(
                        (i + (si + 0.5) / samples) / width, (j + (sj + 0.5) / samples) / height
                    )
                    if c is None:
                        continue
                    acc[0] += c[0] * c[3]
                    acc[1] += c[1] * c[3]
                    acc[2] += c[2] * c[3]
                    acc[3] += c[3]
            a = acc[3] / n
            if acc[3] > 0:
                row.append((acc[0] / acc[3], acc[1] / acc[3], acc[2] / acc[3], a))
            else:
                row.append((0.0, 0.0, 0.0, 0.0))
        rows.append(row)
    return rows


def _byte(v: float) -> int:
    return max(0, min(255, round(v * 255)))


def _bgr_rows(pixels: list[list[RGBA]], alpha: bool) -> bytes:
    """Bottom-up rows, BGR(A), each padded to 4 bytes."""
    out = bytearray()
    for row in reversed(pixels):
        line = bytearray()
        for r, g, b, a in row:
            line += bytes((_byte(b), _byte(g), _byte(r)))
            if alpha:
                line.append(_byte(a))
        line += b"\0" * (-len(line) % 4)
        out += line
    return bytes(out)


def _info_header(width: int, height: int, bpp: int, image_size: int) -> bytes:
    # BITMAPINFOHEADER: size, width, height, planes, bpp, BI_RGB, image size, 2835 ppm, 0, 0
    return struct.pack("<IiiHHIIiiII", 40, width, height, 1, bpp, 0, image_size, 2835, 2835, 0, 0)


def bmp(pixels: list[list[RGBA]]) -> bytes:
    """A 24-bit BMP file (NSIS wants bitmaps without alpha)."""
    height, width = len(pixels), len(pixels[0])
    data = _bgr_rows(pixels, alpha=False)
    header = _info_header(width, height, 24, len(data))
    offset = 14 + len(header)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + header + data


def ico(images: list[list[list[RGBA]]]) -> bytes:
    """An .ico of 32-bit images (each with its AND mask, as older Windows expects)."""
    blobs: list[bytes] = []
    for pixels in images:
        size = len(pixels)
        xor = _bgr_rows(pixels, alpha=True)
        mask_stride = ((size + 31) // 32) * 4
        mask = bytearray()
        for row in reversed(pixels):
            bits = bytearray(mask_stride)
            for i, (_, _, _, a) in enumerate(row):
                if _byte(a) == 0:
                    bits[i // 8] |= 0x80 >> (i % 8)
            mask += bits
        blobs.append(_info_header(size, size * 2, 32, len(xor) + len(mask)) + xor + bytes(mask))
    out = bytearray(struct.pack("<HHH", 0, 1, len(images)))
    offset = 6 + 16 * len(images)
    for pixels, blob in zip(images, blobs, strict=True):
        size = len(pixels)
        out += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    for blob in blobs:
        out += blob
    return bytes(out)


ICON_SIZES = (16, 32, 48)
HEADER_SIZE = (150, 57)
WIZARD_SIZE = (164, 314)


def write_all(folder: Path) -> dict[str, Path]:
    """Write the icon and both bitmaps into ``folder``; return them by role."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "icon": (folder / "tap.ico", ico([render(icon_shader, s, s, 4) for s in ICON_SIZES])),
        "header": (folder / "header.bmp", bmp(render(header_shader(*HEADER_SIZE), *HEADER_SIZE))),
        "wizard": (
            folder / "wizard.bmp",
            bmp(render(wizard_shader(*WIZARD_SIZE), *WIZARD_SIZE, 2)),
        ),
    }
    for path, data in files.values():
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return {role: path for role, (path, _) in files.items()}

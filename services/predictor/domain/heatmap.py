"""A site's floors by building, coloured by the probability of a failure: SVG with
Chinese and English labels, or PNG (the same grid, without text: the PNG is drawn here
without a font)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Cell", "render_png", "render_svg"]

_CELL_W, _CELL_H, _LEFT, _TOP = 120, 28, 90, 70


@dataclass(frozen=True, slots=True)
class Cell:
    building: str
    building_name: str
    floor: str
    floor_order: int
    probability: float


def _colour(p: float) -> tuple[int, int, int]:
    """White at 0, through yellow, to red at 1."""
    p = min(max(p, 0.0), 1.0)
    if p < 0.5:
        return 255, 255, round(255 * (1 - 2 * p))
    return 255, round(255 * (2 - 2 * p)), 0


def _layout(cells: Sequence[Cell]) -> tuple[list[str], list[list[Cell]]]:
    buildings = sorted({c.building for c in cells})
    columns = [sorted((c for c in cells if c.building == b), key=lambda c: -c.floor_order)
               for b in buildings]  # fmt: skip
    return buildings, columns


def render_svg(cells: Sequence[Cell], title_zh: str, title_en: str) -> bytes:
    buildings, columns = _layout(cells)
    rows = max((len(c) for c in columns), default=0)
    width = _LEFT + _CELL_W * len(buildings) + 20
    height = _TOP + _CELL_H * rows + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' font-family="sans-serif" font-size="12">',
        f'<text x="10" y="20" font-size="15">{escape(title_zh)}</text>',
        f'<text x="10" y="38" font-size="13">{escape(title_en)}</text>',
    ]
    for i, column in enumerate(columns):
        x = _LEFT + i * _CELL_W
        name = column[0].building_name if column else buildings[i]
        out.append(f'<text x="{x + 4}" y="{_TOP - 8}">{escape(name)}</text>')
        for j, cell in enumerate(column):
            y = _TOP + j * _CELL_H
            r, g, b = _colour(cell.probability)
            out.append(
                f'<rect x="{x}" y="{y}" width="{_CELL_W - 4}" height="{_CELL_H - 4}"'
                f' fill="rgb({r},{g},{b})" stroke="#999"><title>{escape(cell.building)}/'
                f"{escape(cell.floor)}: {cell.probability:.1%}</title></rect>"
            )
            out.append(f'<text x="{x + 6}" y="{y + 17}">{escape(cell.floor)}层 / F{escape(cell.floor)}'
                       f"  {cell.probability:.0%}</text>")  # fmt: skip
    out.append(f'<text x="10" y="{height - 12}" font-size="11">概率：白 0% → 红 100% /'
               " probability: white 0% to red 100%</text>")  # fmt: skip
    out.append("</svg>")
    return "\n".join(out).encode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render_png(cells: Sequence[Cell], scale: int = 1) -> bytes:
    """The grid as an RGB PNG: one block per floor, buildings side by side, top floor up."""
    buildings, columns = _layout(cells)
    rows = max((len(c) for c in columns), default=1)
    cw, ch, gap = 60 * scale, 16 * scale, 2 * scale
    width, height = max(len(buildings), 1) * (cw + gap) + gap, rows * (ch + gap) + gap
    pixels = bytearray(b"\xff" * (width * height * 3))
    for i, column in enumerate(columns):
        for j, cell in enumerate(column):
            colour = bytes(_colour(cell.probability)) * cw
            x0, y0 = gap + i * (cw + gap), gap + j * (ch + gap)
            for y in range(y0, y0 + ch):
                start = (y * width + x0) * 3
                pixels[start : start + cw * 3] = colour
    raw = b"".join(b"\x00" + bytes(pixels[y * width * 3 : (y + 1) * width * 3])
                   for y in range(height))  # fmt: skip
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw))
            + _chunk(b"IEND", b""))  # fmt: skip

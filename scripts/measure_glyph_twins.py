"""Calibration of the glyph memory's two tests (reviewer/render/glyphs.py; docs/render.md “只差一笔的字”): how close
different characters come under the signature's mean difference (SAME_GLYPH) and, among the pairs that pass it, under
the fine signature's largest cell difference (FINE_SAME); and how far one glyph drawn at other sub-pixel positions
strays under the fine test.

Characters: the 6,763 hanzi of GB 2312 (Python's own codec: nothing is downloaded) and ASCII letters and digits, drawn
by Pillow with the system CJK fonts (`fc-list :lang=zh`: Noto Sans/Serif CJK SC, regular and bold) into PDFium's
loose box (the advance × 0.88 em above the baseline and 0.12 em below), at 10.5 and 14 pt at 150 dpi, each at
OFFSETS sub-pixel positions, and signed with reviewer.render.pages.signatures_of. The nearest other characters of
each drawing are looked for among its K nearest by squared distance (exact for the pairs found, not a proof that no
closer pair exists).

    .venv/bin/python scripts/measure_glyph_twins.py [--fonts 4] [--points 10.5,14]     (minutes; prints a report)
    .venv/bin/python scripts/measure_glyph_twins.py --write    … and writes reviewer/render/twins.txt

twins.txt lists the characters that some other character comes within MARGIN × FINE_SAME of under the fine test
(having passed the mean test) in some font and size: for them the glyph memory trusts only a pixel-identical verified
drawing (reviewer/render/twins.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewer.render.glyphs import FINE_SAME, SAME_GLYPH  # noqa: E402
from reviewer.render.pages import DPI, FINE, FINE_BLUR, SIG, SIG_BLUR, signatures_of  # noqa: E402

FONTS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"]
SC = 2  # the face index of the simplified Chinese face in these collections
OFFSETS = [(0.0, 0.0), (0.25, 0.5), (0.5, 0.25), (0.75, 0.75), (0.12, 0.37), (0.62, 0.88)]
K = 48
MARGIN = 1.25
OUT = Path(__file__).resolve().parent.parent / "reviewer" / "render" / "twins.txt"


def characters() -> list[str]:
    out = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out + [chr(c) for c in (*range(0x30, 0x3A), *range(0x41, 0x5B), *range(0x61, 0x7B))]


def drawings(font: ImageFont.FreeTypeFont, chars: list[str], px: float) -> tuple[np.ndarray, np.ndarray]:
    """(signatures, fine signatures) of every character at every offset: (n × len(OFFSETS) × side × side) each."""
    cell = int(px * 1.6) + 8
    cols = 64
    rows = (len(chars) * len(OFFSETS) + cols - 1) // cols
    page = Image.new("L", (cols * cell, rows * cell), 255)
    draw = ImageDraw.Draw(page)
    boxes = []
    k = 0
    for ch in chars:
        adv = max(1.0, font.getlength(ch))
        for dx, dy in OFFSETS:
            x, y = (k % cols) * cell + 8 + dx, (k // cols) * cell + 8 + dy
            draw.text((x, y + 0.88 * px), ch, font=font, fill=0, anchor="ls")
            boxes.append((x, y, x + adv, y + px))
            k += 1
    gray, b = np.asarray(page), np.array(boxes, dtype=np.float64)
    n, v = len(chars), len(OFFSETS)
    return (signatures_of(gray, b, SIG, SIG_BLUR).reshape(n, v, SIG * SIG),
            signatures_of(gray, b, FINE, FINE_BLUR).reshape(n, v, FINE * FINE))


def measure(sigs: np.ndarray, fines: np.ndarray, chars: list[str]) -> dict[str, tuple[str, float]]:
    n, v = sigs.shape[:2]
    # the same glyph: each drawing against the nearest other drawing of its character (largest fine cell difference)
    within = np.full((n, v), np.inf, dtype=np.float32)
    for i in range(v):
        for j in range(v):
            if i != j:
                within[:, i] = np.minimum(within[:, i], np.abs(fines[:, i] - fines[:, j]).max(axis=-1))
    flat, fflat = sigs.reshape(n * v, -1).astype(np.float32), fines.reshape(n * v, -1).astype(np.float32)
    owner = np.repeat(np.arange(n), v)
    sq = (flat * flat).sum(axis=1)
    mean_min = np.full(n * v, np.inf, dtype=np.float32)  # nearest other character by the mean difference
    fine_min = np.full(n * v, np.inf, dtype=np.float32)  # … and by the fine test, among those passing the mean test
    fine_who = np.zeros(n * v, dtype=np.int64)
    for a in range(0, n * v, 1024):
        d2 = sq[a : a + 1024, None] + sq[None, :] - 2 * flat[a : a + 1024] @ flat.T
        d2[owner[a : a + 1024, None] == owner[None, :]] = np.inf
        idx = np.argpartition(d2, K, axis=1)[:, :K]
        mean = np.abs(flat[a : a + 1024, None, :] - flat[idx]).mean(axis=2)
        mean_min[a : a + 1024] = mean.min(axis=1)
        far = np.abs(fflat[a : a + 1024, None, :] - fflat[idx]).max(axis=2)
        far[mean >= SAME_GLYPH] = np.inf
        best = far.argmin(axis=1)
        fine_min[a : a + 1024] = far[np.arange(len(best)), best]
        fine_who[a : a + 1024] = owner[idx[np.arange(len(best)), best]]
    per_mean = mean_min.reshape(n, v).min(axis=1)
    per_fine = fine_min.reshape(n, v)
    w = within.max(axis=1)
    print(f"    same glyph, nearest of the other {v - 1} drawings, fine: median {np.median(w):.3f}, 99th percentile "
          f"{np.percentile(w, 99):.3f}, largest {w.max():.3f}")
    print(f"    other characters under the mean test (< {SAME_GLYPH}): {(per_mean < SAME_GLYPH).sum()} of {n} characters")
    passing = np.isfinite(per_fine.min(axis=1))
    worst = per_fine.min(axis=1)
    print(f"    of those pairs, under the fine test (< {FINE_SAME}): {(worst < FINE_SAME).sum()} characters; smallest: "
          + ", ".join(f"{chars[i]}/{chars[fine_who[i * v + per_fine[i].argmin()]]} {worst[i]:.2f}"
                      for i in np.argsort(worst)[:12] if passing[i]), flush=True)
    return {chars[i]: (chars[fine_who[i * v + per_fine[i].argmin()]], float(worst[i]))
            for i in np.nonzero(worst < MARGIN * FINE_SAME)[0].tolist()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fonts", type=int, default=len(FONTS))
    ap.add_argument("--points", default="10.5,14")
    ap.add_argument("--write", action="store_true", help=f"write {OUT.name}")
    args = ap.parse_args()
    chars = characters()
    found: dict[str, tuple[str, float]] = {}
    for path in FONTS[: args.fonts]:
        for pt in [float(p) for p in args.points.split(",")]:
            px = pt * DPI / 72
            font = ImageFont.truetype(path, round(px), index=SC)
            print(f"  {font.getname()[0]} {font.getname()[1]}, {pt} pt ({px:.1f} px), {len(OFFSETS)} sub-pixel positions:",
                  flush=True)
            for ch, (other, d) in measure(*drawings(font, chars, px), chars).items():
                if ch not in found or d < found[ch][1]:
                    found[ch] = (other, d)
    print(f"  {len(found)} characters within {MARGIN} × {FINE_SAME} of another under both tests", flush=True)
    if args.write:
        head = ["# Twin-prone characters (scripts/measure_glyph_twins.py --write; not edited by hand): the character, the",
                f"# nearest other character under both glyph tests and its largest fine cell difference (< {MARGIN} × "
                f"FINE_SAME), over {len(chars)} characters, {len(FONTS[: args.fonts])} fonts, {args.points} pt."]
        rows = [f"{ch}\t{o}\t{d:.3f}" for ch, (o, d) in sorted(found.items(), key=lambda x: (x[1][1], x[0]))]
        OUT.write_text("\n".join(head + rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Whole-page OCR of a sparse page (a scanned notice, a photo of a stamp on white paper): text detection runs where the
page has ink, not on the blank paper around it, and the whole page is still read when that did not explain every mark.

Detection is most of the cost of reading a scanned page (a 4-line notice: detection 0.64 CPU s on the whole page,
recognition 0.16 s) and it is proportional to the pixels it is shown. Here it is shown the parts of the same image the
whole-page path would show it, at the same scale and on the same 32-pixel grid, each with at least 32 pixels of the
page around its ink. The detector is not local, though (its squeeze-and-excitation blocks average over the whole image):
on a crop, text near its threshold (grey text 25 levels from the paper, a 10-pixel stamp in a corner) can be missed that
the whole page finds. So the crops are only a first pass: every mark on the page must then lie inside a line the crops
found, or the page is read whole, exactly as before. What counts as a mark is set well below what the recogniser reads
(it reads grey text 17 levels from the paper; a mark here differs by more than 10): a faint line, a small stamp in a
corner, text far from the rest, a seal or a rule the detector does not take for text all send the page to the whole-page
path. A page that is not mostly paper (a photo, a grey or uneven scan, noise everywhere) is read whole at once.

`read(engine, image)` returns what RapidOCR returns for the whole image, `(quad, text, score)` per line in the image's
pixels, or None when the image must be read whole."""

from __future__ import annotations

from typing import Any

Box = tuple[int, int, int, int]

CELL = 8  # pixels: marks are counted in cells of the detection image
INK_LEVEL = 8  # a pixel differs from the paper by more than this in some channel: ink (OCR reads big text from 12)
CELL_INK = 4  # ink pixels that make a cell a mark
SPECK = 5  # pixels: ink blobs no wider and no taller than this are scanner noise, not marks
GROW_X, GROW_Y = 6, 4  # cells of page kept around the marks (48 and 32 pixels): detection needs the margin
GRID = 32  # the detector's stride: crops start on the whole page's grid, so a character falls on the same cells
LINE_MARGIN = 0.2  # of a line's height: ink this close to a found line is part of it
MAX_SHARE = 0.5  # crops covering more of the page than this: not sparse, read it whole
MAX_REGIONS = 24
DET_MIN_SIDE = 736  # RapidOCR's detection enlarges an image whose short side is below this (limit_type "min")


def _paper(pre: Any) -> Any:
    import numpy as np

    return np.median(pre[::4, ::4].reshape(-1, pre.shape[2]), axis=0).astype(np.uint8)


def ink(pre: Any) -> Any:
    """Pixels (H×W uint8 0/1) of `pre` (H×W×3 uint8) that differ from the paper (the page's median colour) by more than
    INK_LEVEL in some channel, averaged over 3×3 pixels (scanner noise averages out, a stroke does not): dark or
    coloured ink on light paper, light text on a dark band alike."""
    import cv2
    import numpy as np

    diff = cv2.absdiff(cv2.blur(pre, (3, 3)), np.broadcast_to(_paper(pre), pre.shape).copy())
    channels = cv2.split(diff)
    most = channels[0]
    for channel in channels[1:]:
        most = cv2.max(most, channel)
    mask = cv2.threshold(most, INK_LEVEL, 1, cv2.THRESH_BINARY)[1]
    # specks: a pixel of scanner noise, spread by the blur, is a blob of at most 5×5; no legible glyph is that small
    n, labels, stats, _centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    speck = (stats[:, cv2.CC_STAT_WIDTH] <= SPECK) & (stats[:, cv2.CC_STAT_HEIGHT] <= SPECK)
    speck[0] = False
    if speck.any():
        mask[speck[labels]] = 0
    return mask


def marks(ink: Any) -> Any:
    """Cells (H/CELL × W/CELL, uint8 0/1) holding at least CELL_INK ink pixels."""
    import numpy as np

    h, w = ink.shape
    ch, cw = -(-h // CELL), -(-w // CELL)
    padded = np.zeros((ch * CELL, cw * CELL), dtype=np.uint16)
    padded[:h, :w] = ink
    return (padded.reshape(ch, CELL, cw, CELL).sum(axis=(1, 3)) >= CELL_INK).astype(np.uint8)


def regions(cells: Any, h: int, w: int) -> list[Box] | None:
    """Crops (x0, y0, x1, y1) of an h×w image holding every marked cell with its margin, on the detector's grid; None when
    the page is not sparse. An empty list: no mark at all."""
    import cv2
    import numpy as np

    if not cells.any():
        return []
    grown = cv2.dilate(cells, np.ones((2 * GROW_Y + 1, 2 * GROW_X + 1), dtype=np.uint8))
    n, _labels, stats, _centroids = cv2.connectedComponentsWithStats(grown, connectivity=8)
    boxes = [(int(x) * CELL // GRID * GRID, int(y) * CELL // GRID * GRID,
              min(w, -(-int(x + bw) * CELL // GRID) * GRID), min(h, -(-int(y + bh) * CELL // GRID) * GRID))
             for x, y, bw, bh, _area in stats[1:n]]
    boxes = _merge(boxes)
    if len(boxes) > MAX_REGIONS or sum((b[2] - b[0]) * (b[3] - b[1]) for b in boxes) > MAX_SHARE * w * h:
        return None
    return boxes


def _merge(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes become their union (components of the grown mask do not overlap; snapped to the grid they may)."""
    out = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    out[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return out


def unexplained(ink: Any, quads: list[Any]) -> int:
    """Marked cells whose ink lies outside every detected line (the quads, in the image's pixels, each widened by a fifth
    of its height: a line's box can end a pixel or two inside its tallest glyphs)."""
    import cv2
    import numpy as np

    rest = ink.copy()
    for quad in quads:
        points = np.round(quad).astype(np.int32)
        side = min(float(np.linalg.norm(quad[0] - quad[1])), float(np.linalg.norm(quad[0] - quad[3])))
        cv2.fillPoly(rest, [points], 0)
        cv2.polylines(rest, [points], True, 0, thickness=2 * max(2, round(side * LINE_MARGIN)) + 1)
    return int(marks(rest).sum())


def _detect(engine: Any, pre: Any, box: Box) -> list[Any]:
    """Line quads found in one crop of `pre`, in `pre`'s pixels (the crop is on the grid: no resizing, as on the page)."""
    import numpy as np
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    det = engine.text_det
    x0, y0, x1, y1 = box
    crop = pre[y0:y1, x0:x1]
    ch, cw = -(-crop.shape[0] // GRID) * GRID, -(-crop.shape[1] // GRID) * GRID
    if (ch, cw) != crop.shape[:2]:  # at the edge of an image whose size is not a multiple of 32: pad with paper
        canvas = np.empty((ch, cw, pre.shape[2]), dtype=np.uint8)
        canvas[:] = _paper(pre)
        canvas[: crop.shape[0], : crop.shape[1]] = crop
        crop = canvas
    batch = DetPreProcess(max(ch, cw), "max", det.mean, det.std)(crop)
    found, _scores = det.postprocess_op(det.infer(batch)[0], (ch, cw))
    out = []
    for quad in det.filter_tag_det_res(found, (ch, cw)):
        quad = quad.astype(np.float32)
        quad[:, 0] = np.clip(quad[:, 0] + x0, 0, pre.shape[1] - 1)
        quad[:, 1] = np.clip(quad[:, 1] + y0, 0, pre.shape[0] - 1)
        out.append(quad)
    return out


def sparse_lines(engine: Any, pre: Any) -> list[Any] | None:
    """The lines of `pre` found by detection on its inked crops, or None when the page is not sparse or a mark lies
    outside every line found (the whole page decides then: its detector sees more context)."""
    marked = ink(pre)
    crops = regions(marks(marked), pre.shape[0], pre.shape[1])
    if crops is None:
        return None
    quads = [q for box in crops for q in _detect(engine, pre, box)]
    return None if unexplained(marked, quads) else quads


def whole_page_lines(engine: Any, pre: Any) -> list[Any]:
    """The lines of `pre` found by detection on the whole image (RapidOCR's own detection step)."""
    found, _elapse = engine.text_det(pre)
    return [] if found is None else list(found)


def read(engine: Any, image: Any) -> list[tuple[Any, str, float]] | None:
    """What RapidOCR returns for the whole image (`(quad, text, score)` per line, in the image's pixels), with detection
    on the inked crops when they explain every mark, and recognition one line at a time; None when the image must be
    read by RapidOCR's own call (one it would enlarge or letterbox before detection)."""
    import numpy as np

    raw_h, raw_w = image.shape[:2]
    pre, ratio_h, ratio_w = engine.preprocess(image)  # the long side reduced to max_side_len, as on the whole page
    h, w = pre.shape[:2]
    if min(h, w) < DET_MIN_SIDE or h <= engine.min_height or w / h > engine.width_height_ratio:
        return None
    quads = sparse_lines(engine, pre)
    if quads is None:
        quads = whole_page_lines(engine, pre)
    if not quads:
        return []
    quads = engine.sorted_boxes(np.array(quads))
    lines, _cls, _elapse = engine.text_cls(engine.get_crop_img_list(pre, quads))
    # one line at a time: a batch is padded to its widest line, and a dense page's 34 lines cost 5.4 CPU s one by one
    # against 7.9 s in RapidOCR's batches of 6
    readings = [engine.text_rec([line])[0][0] for line in lines]
    out: list[tuple[Any, str, float]] = []
    for quad, (text, score) in zip(quads, readings, strict=True):
        quad = np.array(quad, dtype=np.float32)
        quad[:, 0] = np.clip(quad[:, 0] * ratio_w, 0, raw_w)
        quad[:, 1] = np.clip(quad[:, 1] * ratio_h, 0, raw_h)
        out.append((quad.tolist(), str(text), float(score)))
    return out

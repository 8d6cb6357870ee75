"""Offline OCR with RapidOCR (PP-OCRv4 detection + recognition models shipped inside the rapidocr-onnxruntime wheel).

Chosen by measurement over Debian's tesseract-ocr-chi-sim (docs/render.md): on the same rendered page RapidOCR read
机密★5年 exactly where tesseract read 机密女5年, and tesseract split and lost characters of a 21-character title."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from reviewer.errors import exception_zh
from reviewer.render.convert import RenderError
from reviewer.render.model import Box, Line

_log = logging.getLogger(__name__)

_ENGINE: Any = None
_LOCK = threading.Lock()
MIN_SCORE = 0.5


def engine() -> Any:
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                raise RenderError("本机未安装文字识别引擎（pip install rapidocr-onnxruntime），无法识别页面图像，不得视为通过")
            threads = int(os.environ.get("REVIEWER_OCR_THREADS", "0") or 0)
            # The angle classifier is on: a scan turned 90° or 180° (a landscape page, a photo taken upside down) was
            # read as nothing without it, so a sideways scan stamped 机密★ passed (tests/render/test_cases.py); it
            # costs about 0.1 s a page. Detection on at most 1400 px (an A4 page at 150 dpi is 1754 px high): a third
            # less work, text of 10 pt and up still found (bench/render.py, docs/render.md)
            kwargs: dict[str, Any] = {"print_verbose": False, "use_cls": True,
                                      "max_side_len": int(os.environ.get("REVIEWER_OCR_MAX_SIDE", "1400") or 1400)}
            if threads > 0:
                # global keys: rapidocr-onnxruntime 1.4 copies the global thread counts over the per-model ones
                # (det_/rec_/cls_intra_op_num_threads were silently replaced by "all cores"), so a worker meant to
                # hold one core ran recognition on two (bench/render.py: CPU > wall in one process)
                kwargs.update(intra_op_num_threads=threads, inter_op_num_threads=1)
            _ENGINE = _with_arena(RapidOCR, kwargs)
    return _ENGINE


def _with_arena(make: Any, kwargs: dict[str, Any]) -> Any:
    """The engine with onnxruntime's CPU memory arena on (rapidocr-onnxruntime turns it off): buffers are reused from
    page to page instead of allocated for every run, 12-15% less CPU a page (bench/render.py --scanned, docs/render.md)."""
    from rapidocr_onnxruntime.utils import infer_engine

    plain = infer_engine.OrtInferSession._init_sess_opts

    def options(config: dict[str, Any]) -> Any:
        opts = plain(config)
        opts.enable_cpu_mem_arena = True
        return opts

    infer_engine.OrtInferSession._init_sess_opts = staticmethod(options)  # only while this engine's sessions are made
    try:
        return make(**kwargs)
    finally:
        infer_engine.OrtInferSession._init_sess_opts = staticmethod(plain)


def _boxes(text: str, quad: Any, word: Any = None) -> list[Box]:
    """Per-character boxes for an OCR line: the line's box split evenly (OCR gives one box per line)."""
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    n = max(1, len(text))
    step = (x1 - x0) / n
    return [(int(x0 + i * step), int(y0), int(x0 + (i + 1) * step + 0.999), int(y1 + 0.999)) for i in range(len(text))]


def read_page(image: Any) -> list[Line]:
    """Detect and read every text line of a page image (on a sparse page, detection only where there is ink:
    reviewer/render/sparse.py)."""
    import numpy as np

    from reviewer.render import sparse

    arr = np.asarray(image)[:, :, ::-1].copy()  # RGB -> BGR, as the models expect
    try:
        ocr = engine()
        result = sparse.read(ocr, arr)
        if result is None:  # an image RapidOCR enlarges or letterboxes before detection: its own call, unchanged
            result, _ = ocr(arr)
    except RenderError:
        raise
    except Exception as exc:  # onnxruntime / opencv errors on a hostile image: fail closed
        _log.warning("OCR 文字识别失败（%s），未能核对页面图像，本次渲染核对按出错处理", type(exc).__name__)
        raise RenderError(f"文字识别失败（{exception_zh(exc)}），未能核对页面图像，不得视为通过")
    lines: list[Line] = []
    for quad, text, score in result or []:
        text = str(text).strip()
        if text and float(score) >= MIN_SCORE:
            lines.append(Line(text, _boxes(text, quad), "ocr", float(score)))
    lines.sort(key=lambda ln: (ln.box[1], ln.box[0]))
    return lines


def read_crops(crops: list[Any]) -> list[tuple[str, float]]:
    """Recognition only, for line images whose position is already known (checking a PDF's text layer)."""
    import numpy as np

    if not crops:
        return []
    arrs = [np.asarray(c)[:, :, ::-1].copy() for c in crops]
    try:
        # one line per model run: on one core a batch of six lines cost 1.5 times six runs of one (the padded batch
        # tensor falls out of the caches; bench/render.py --reports, docs/render.md)
        rec = engine().text_rec
        result = [rec([a])[0][0] for a in arrs]
    except RenderError:
        raise
    except Exception as exc:
        _log.warning("OCR 文字识别失败（%s），未能核对页面图像，本次渲染核对按出错处理", type(exc).__name__)
        raise RenderError(f"文字识别失败（{exception_zh(exc)}），未能核对页面图像，不得视为通过")
    return [(str(t).strip(), float(s)) for t, s in result]

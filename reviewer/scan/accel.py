"""The scanner's optional C accelerator (`_accel.c`): the per-character passes of folding, of `normalize.Stream` and of
the prefilter's anchor look-up, one loop each instead of a few dozen numpy calls. A document the pipeline scans costs
about 80 numpy calls whatever its length; in C those passes cost what the characters cost.

It is built by `pip install` when a C compiler is there (setup.py; the offline bundle's wheels are built on the
packing machine). Without it, or with REVIEWER_SCAN_ACCEL=0, the same passes run in numpy: the findings are the same
either way (tests/scan/test_accel.py compares the two on crafted and corpus texts)."""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("REVIEWER_SCAN_ACCEL", "1") == "0":
        return None
    try:
        from reviewer.scan import _accel
    except ImportError:
        return None
    return _accel


native: ModuleType | None = _load()  # read at each call (tests switch it off to compare the numpy passes)

"""A table read the way a reader reads a printed form: digits cut one per cell or in groups across cells and rows
(公民身份号码 | 1 | 1 | 0 | 1 | 0 | 5 | … in Word, Excel or an HTML form) are one number to the reader. Every extractor
that reads tables hands its rows here; the result is one more part, `spans_only`, whose MARK spans cover the joined
numbers: the scanner reads the joined view, and only what lies in a joined number counts (the cells themselves are
scanned where they are, so nothing is reported twice).

Only joined numbers that are 居民身份证号码 (18 characters passing the GB 11643 checks: region, birth date, check
digit) are written: joining the numeric cells of a statistics table must not make up bank-card or phone numbers out
of unrelated figures (one stretch in ten passes Luhn), and the check digit makes a made-up ID number very unlikely
(measured: 0 of thousands of random figure tables)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reviewer.extract.limits import Budget
from reviewer.extract.model import TextPart
from reviewer.extract.parts import PartBuilder
from reviewer.scan.validators import id_card

# A cell that holds only a piece of a number (1 to 17 digits, X for the check digit; full-width digits too).
FRAGMENT = re.compile(r"[0-9０-９]{1,17}|[0-9０-９]{0,17}[Xx×Ｘ]")
JOINED_LENGTHS = (18,)  # 居民身份证号码 (GB 11643); the 15-digit legacy form has no check digit: not joined
MARK = "单元格连读"


_ASCII = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "x": "X", "×": "X", "Ｘ": "X"})


def _fragment(text: str) -> str | None:
    """The cell's piece of a number in ASCII (full-width digits and X read as the reader reads them), or None."""
    value = re.sub(r"[ \t\u3000\r\n]", "", text)
    return value.translate(_ASCII) if value and FRAGMENT.fullmatch(value) else None


def reader_join(location: str, rows: Sequence[Sequence[str]], budget: Budget) -> TextPart | None:
    """The table `rows` (cell texts in reading order) with adjacent number cells joined: within a row, and from the
    last cell of a row into the first filled cell of the next row. None when no joined number is an ID number
    (nothing to add)."""
    runs: list[list[tuple[int, int, str]]] = []  # each run: (row, column, fragment) in reading order
    current: list[tuple[int, int, str]] = []
    for r, row in enumerate(rows, 1):
        filled = [(c, text) for c, text in enumerate(row, 1) if text.strip()]
        for k, (c, text) in enumerate(filled):
            piece = _fragment(text)
            continues = bool(current) and (current[-1][0] == r or (k == 0 and current[-1][0] == r - 1
                                                                    and current[-1][1] == _last_filled(rows[r - 2])))
            if piece is None:
                if len(current) > 1:
                    runs.append(current)
                current = []
                continue
            if not continues:
                if len(current) > 1:
                    runs.append(current)
                current = []
            current.append((r, c, piece))
    if len(current) > 1:
        runs.append(current)
    runs = [piece for run in runs for piece in _numbers(run)]
    if not runs:
        return None
    b = PartBuilder(f"{location}（{MARK}）", budget, spans_only=True)
    for run in runs:
        r, c, _ = run[0]
        lr, lc, _ = run[-1]
        label = f"{location} 第{r}行第{c}列至第{lr}行第{lc}列"
        b.begin(label)
        b.write("".join(p for _, _, p in run), MARK)
    return b.build()


def _last_filled(row: Sequence[str]) -> int:
    return max((c for c, text in enumerate(row, 1) if text.strip()), default=0)


def _numbers(run: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """The stretches of a run that are an ID number: the whole run, or the run without its first or last cell (a 序号
    or a count in the next column, written right beside the number). At most four tried a run."""
    out: list[list[tuple[int, int, str]]] = []
    n = len(run)
    for i, j in ((0, n), (1, n), (0, n - 1), (1, n - 1)):
        piece = run[i:j]
        joined = "".join(p for _, _, p in piece)
        if len(piece) >= 2 and len(joined) in JOINED_LENGTHS and id_card(joined)[0] and piece not in out:
            out.append(piece)
    return out


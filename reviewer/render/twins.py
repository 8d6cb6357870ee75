"""Characters that another character comes close to under both of the glyph memory's tests (the signature's mean
difference and the fine signature's largest cell difference) in some font at some size: 刺/剌, 进/迸, 而/面 at 10.5 pt.
For these the glyph memory trusts only a pixel-identical copy of a verified drawing (reviewer/render/glyphs.py,
docs/render.md “只差一笔的字”).

The list (twins.txt beside this module) is written by `scripts/measure_glyph_twins.py --write` from the GB 2312 hanzi
and ASCII letters and digits drawn with the system CJK fonts; nothing is computed or downloaded at run time. The rule
is keyed on the character a glyph *claims*, so it holds for any font, a crafted one included."""

from __future__ import annotations

import functools
from pathlib import Path

TWINS_FILE = Path(__file__).with_name("twins.txt")


@functools.cache
def twin_prone() -> frozenset[str] | None:
    """The listed characters (first column of twins.txt); None when the file cannot be read (then every character is
    treated as twin-prone: only more reading, never more trust)."""
    try:
        text = TWINS_FILE.read_text(encoding="utf-8")
    except OSError:
        return None
    return frozenset(line.split("\t", 1)[0] for line in text.splitlines() if line and not line.startswith("#"))


def exact_only(ch: str) -> bool:
    """Whether a glyph claiming `ch` is trusted only as a pixel-identical copy of a verified drawing of `ch`."""
    listed = twin_prone()
    return listed is None or ch in listed

"""Shared material of the registered-document tests: the public texts used as stand-ins for registered documents,
and the edits a drafter makes to a copied passage."""

from __future__ import annotations

import random
from functools import cache

import numpy as np

from reviewer.scan import fingerprints as fp
from reviewer.settings import REPO_ROOT

IN_REPO = REPO_ROOT / "tests" / "data" / "public-gov"  # law- and gwr- copies, always present
SHARED = REPO_ROOT.parent / "shared" / "corpus" / "public-gov"  # the 500 documents (with xwlb-), dev machine and CI


@cache
def texts() -> dict[str, str]:
    """name -> text of the in-repo law-/gwr- documents (369)."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(IN_REPO.glob("*.txt"))}


@cache
def shared_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SHARED.glob("*.txt"))}


def split(names: list[str], seed: int) -> tuple[list[str], list[str]]:
    rnd = random.Random(seed)
    names = sorted(names)
    rnd.shuffle(names)
    return sorted(names[::2]), sorted(names[1::2])


def plain_fraction(passage: str) -> float:
    """Share of the passage's selected grams that are not common public prose (the default common list)."""
    prep = fp.Prepared.of(passage)
    if len(prep.hashes) == 0:
        return 0.0
    common = np.isin(prep.hashes, fp.default_common())
    return float(1 - common.mean())


def sample_passages(names: list[str], length: int, count: int, seed: int) -> list[tuple[str, int, str]]:
    """(document name, paragraph number, passage of `length` characters) drawn at random from paragraphs long
    enough, keeping only passages that are not ordinary public prose (at least 80% of their grams are specific):
    boilerplate is meant not to be found, see test_boilerplate_is_not_found."""
    rnd = random.Random(seed)
    out: list[tuple[str, int, str]] = []
    pool = sorted(names)
    tries = 0
    while len(out) < count and tries < count * 50:
        tries += 1
        name = rnd.choice(pool)
        paras = fp.paragraphs_of(texts()[name])
        long = [i for i, p in enumerate(paras) if len(p) >= length + 5]
        if not long:
            continue
        i = rnd.choice(long)
        start = rnd.randrange(0, len(paras[i]) - length)
        passage = paras[i][start : start + length]
        if plain_fraction(passage) >= 0.8:
            out.append((name, i + 1, passage))
    return out


def normalised_prefix(text: str, n: int) -> str:
    """The shortest prefix of `text` with exactly n content characters (what the scanner compares)."""
    _, offsets = fp.content_chars(text)
    assert len(offsets) >= n
    return text[: int(offsets[n - 1]) + 1]


# ------------------------------------------------------------------------------------------------------ edits
PUNCT = "，。、；：！？“”（）《》"
FILLER = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"


def change_punctuation(s: str, rnd: random.Random) -> str:
    """A fifth of the punctuation marks replaced by other marks, some dropped."""
    marks = [i for i, c in enumerate(s) if c in PUNCT]
    chosen = set(rnd.sample(marks, max(1, len(marks) // 5))) if marks else set()
    out = []
    for i, c in enumerate(s):
        if i in chosen:
            out.append(rnd.choice(["；", "。", "，", "", "、", ".", ","]))
        else:
            out.append(c)
    return "".join(out)


def replace_chars(s: str, rnd: random.Random, n: int = 4) -> str:
    ideographs = [i for i, c in enumerate(s) if "\u4e00" <= c <= "\u9fff"]
    chars = list(s)
    for i in rnd.sample(ideographs, min(n, len(ideographs))):
        chars[i] = rnd.choice([c for c in FILLER if c != chars[i]])
    return "".join(chars)


def insert_spaces(s: str, rnd: random.Random) -> str:
    """Spaces, full-width spaces, zero-width spaces and line breaks between characters."""
    noise = [" ", "\u3000", "\u200b", "\n", " \u00a0"]
    return "".join(c + (rnd.choice(noise) if rnd.random() < 0.3 else "") for c in s)


@cache
def _s2t():  # noqa: ANN202
    import opencc

    return opencc.OpenCC("s2t")


def traditional(s: str, rnd: random.Random) -> str:
    return _s2t().convert(s)


def full_width(s: str, rnd: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def everything(s: str, rnd: random.Random) -> str:
    return insert_spaces(traditional(replace_chars(change_punctuation(s, rnd), rnd, 3), rnd), rnd)


EDITS = {
    "exact": lambda s, rnd: s,
    "punctuation": change_punctuation,
    "replaced": replace_chars,
    "spaces": insert_spaces,
    "traditional": traditional,
    "full_width": full_width,
    "all_together": everything,
}

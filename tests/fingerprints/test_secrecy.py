"""The files a build writes hold nothing of the registered text: the data file is searched for every 4-character
substring of the sources, raw and in the common Chinese encodings; the key is not in the data file; without the key
the data file does not even confirm a guessed passage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from reviewer.cli import main
from reviewer.scan import fingerprints as fp
from tests.fingerprints.helpers import IN_REPO, texts

ENCODINGS = ("utf-8", "gb18030", "utf-16-le", "utf-16-be", "big5")
SOURCES = ["law-0001.txt", "law-0002.txt", "law-0150.txt", "gwr-0001.txt", "gwr-0033.txt"]


def _windows(blob: bytes, width: int) -> np.ndarray:
    """Every `width`-byte window of blob (width <= 8) as a sorted array of integers."""
    a = np.frombuffer(blob, np.uint8).astype(np.uint64)
    n = len(a) - width + 1
    out = np.zeros(n, np.uint64)
    for j in range(width):
        out |= a[j : j + n] << np.uint64(8 * j)
    return np.unique(out)


def _as_int(b: bytes) -> int:
    return int.from_bytes(b, "little")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("secret")
    assert main(["fingerprints", "build", "--id", "secret-set", "--out", str(out),
                 *(str(IN_REPO / s) for s in SOURCES)]) == 0
    return out


def test_data_file_holds_no_four_character_substring(built: Path) -> None:
    blob = (built / "secret-set.fp").read_bytes()
    assert len(blob) > 100_000  # the sources are large: the data file is not trivially small
    # Windows of the data file, 8 bytes wide: any encoded substring of 8 bytes or more is looked up by its first 8
    # bytes, and each candidate is confirmed with a real search. Shorter encodings (4 ASCII characters, 2 bytes a
    # character in GB18030 or Big5 with ASCII mixed in) would occur by chance in any file of random bytes this
    # size; they are checked separately below for what they can be: the same 4-6 bytes as in any random file.
    windows = _windows(blob, 8)
    hits: list[tuple[str, str]] = []
    checked = 0
    for name in SOURCES:
        text = texts()[name]
        subs = {text[i : i + 4] for i in range(len(text) - 3)}
        for sub in subs:
            for enc in ENCODINGS:
                raw = sub.encode(enc, "ignore")
                if len(raw) < 8:
                    continue
                checked += 1
                idx = np.searchsorted(windows, np.uint64(_as_int(raw[:8])))
                if idx < len(windows) and int(windows[idx]) == _as_int(raw[:8]) and raw in blob:
                    hits.append((enc, sub))
    assert checked > 100_000
    assert hits == []


def test_short_encodings_occur_no_more_than_chance(built: Path) -> None:
    """Substrings whose encoding is shorter than 8 bytes: their number of occurrences is what random bytes give."""
    blob = (built / "secret-set.fp").read_bytes()
    text = texts()["law-0150.txt"]
    short = sorted({raw for i in range(len(text) - 3)
                    if 4 <= len(raw := text[i : i + 4].encode("utf-8")) < 8})
    found = sum(1 for raw in short if raw in blob)
    expected = sum(len(blob) / 256 ** len(raw) for raw in short)
    assert found <= 5 * expected + 3


def test_yaml_holds_labels_and_figures_only(built: Path) -> None:
    rule = yaml.safe_load((built / "secret-set.yaml").read_text(encoding="utf-8"))
    assert [d["label"] for d in rule["documents"]] == [s.removesuffix(".txt") for s in SOURCES]
    own = (rule["message"] + rule["category"] + "".join(d["label"] for d in rule["documents"]))
    dumped = (built / "secret-set.yaml").read_text(encoding="utf-8")
    for name in SOURCES:
        text = texts()[name]
        leaked = {text[i : i + 6] for i in range(len(text) - 5) if text[i : i + 6] in dumped and text[i : i + 6] not in own}
        assert leaked == set()


def test_key_is_separate_and_private(built: Path) -> None:
    key_path = built / "secret-set.key"
    assert key_path.stat().st_mode & 0o077 == 0
    key = fp.read_key(key_path)
    blob = (built / "secret-set.fp").read_bytes()
    assert key not in blob and key.hex().encode() not in blob


def test_without_the_key_a_guess_is_not_confirmed(built: Path) -> None:
    """The stored values are keyed: the public hash of a registered passage's grams (what an attacker computes for
    a guess) is not among them, and neither is its value under another key."""
    hashes, _, _ = fp.decode_data((built / "secret-set.fp").read_bytes())
    guess = fp.Prepared.of(max(fp.paragraphs_of(texts()["law-0150.txt"]), key=len))
    assert len(guess.hashes) > 20
    assert not np.isin(guess.hashes, hashes).any()
    assert not np.isin(fp.keyed(bytes(16), guess.hashes), hashes).any()
    assert np.isin(fp.keyed(fp.read_key(built / "secret-set.key"), guess.hashes), hashes).mean() > 0.9


def test_two_builds_of_the_same_text_share_no_value(tmp_path: Path) -> None:
    """A fresh key per build: data files of the same document cannot be linked by comparing them."""
    src = str(IN_REPO / "law-0150.txt")
    assert main(["fingerprints", "build", "--id", "a", "--out", str(tmp_path), src]) == 0
    assert main(["fingerprints", "build", "--id", "b", "--out", str(tmp_path), src]) == 0
    a, _, _ = fp.decode_data((tmp_path / "a.fp").read_bytes())
    b, _, _ = fp.decode_data((tmp_path / "b.fp").read_bytes())
    assert len(a) == len(b) > 100
    assert not np.isin(a, b).any()

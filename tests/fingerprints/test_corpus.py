"""Unrelated public documents pass. The 369 in-repo public documents are split in two halves; each half is
registered in turn and every document not in it is scanned (so every document is scanned against a registered set
that does not contain it). With ../shared present the 131 news transcripts (xwlb-) are scanned against both halves
too: the 500 public-gov documents in all."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from reviewer.cli import main
from reviewer.scan import fingerprints as fp
from reviewer.scan.scanner import Scanner
from tests.fingerprints.helpers import IN_REPO, SHARED, shared_texts, texts

LABEL = re.compile(r"^与登记文件“(?P<label>[^”]+)”第(?P<para>\d+)段")


@pytest.fixture(scope="module")
def second_half(tmp_path_factory: pytest.TempPathFactory, halves: tuple[list[str], list[str]]) -> Path:
    out = tmp_path_factory.mktemp("second")
    assert main(["fingerprints", "build", "--id", "stand-ins", "--out", str(out),
                 *(str(IN_REPO / n) for n in halves[1])]) == 0
    return out


def _flags(scanner: Scanner, docs: dict[str, str]) -> dict[str, list[tuple[str, int, str]]]:
    out = {}
    for name, text in docs.items():
        hits = [(m["label"], int(m["para"]), f.match) for f in scanner.scan(text).findings
                if f.rule == "stand-ins" and (m := LABEL.match(f.explanation))]
        if hits:
            out[name] = hits
    return out


def _normalised(text: str) -> str:
    cps, _ = fp.content_chars(fp.fold(text))
    return "".join(map(chr, cps.tolist()))


def test_no_unregistered_public_document_is_flagged(registered: Path, second_half: Path,
                                                    halves: tuple[list[str], list[str]]) -> None:
    flagged = {}
    for rules, half in ((registered, halves[0]), (second_half, halves[1])):
        scanner = Scanner.load(rules, defaults=False)
        others = {n: t for n, t in texts().items() if n not in half}
        assert len(others) >= 180
        flagged.update(_flags(scanner, others))
    assert flagged == {}


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} 不存在（共享语料只在开发机和 CI 上提供）")
def test_news_transcripts_flag_only_verbatim_quotations(registered: Path, second_half: Path) -> None:
    """News that quotes a registered document word for word for 30+ characters is a real reproduction (known:
    xwlb-0066 quotes 网络数据安全管理条例 and the 2025 government work report); anything else flagged is a false alarm."""
    news = {n: t for n, t in shared_texts().items() if n.startswith("xwlb-")}
    assert len(news) == 131
    false_alarms = []
    flagged_docs = set()
    for rules in (registered, second_half):
        for name, hits in _flags(Scanner.load(rules, defaults=False), news).items():
            flagged_docs.add(name)
            for label, _, match in hits:
                source = _normalised(texts()[label + ".txt"])
                passage = _normalised(match)
                m = difflib.SequenceMatcher(None, passage, source, autojunk=False).find_longest_match()
                if m.size < 30:
                    false_alarms.append((name, label, match))
    assert false_alarms == []
    assert len(flagged_docs) <= 2, flagged_docs

"""Drafts that copy registered paragraphs, with every kind of light edit, are found with the right label and
paragraph; boilerplate shared with public prose is not. The registered set is ~185 real public documents (in-repo
copies of ../shared/corpus/public-gov), built through `reviewer fingerprints build`; drafts are the other documents
with a passage pasted in."""

from __future__ import annotations

import difflib
import random
import re
from pathlib import Path

import pytest

from reviewer.document import scan_document
from reviewer.scan import fingerprints as fp
from reviewer.scan.model import Severity, Verdict
from reviewer.scan.scanner import Scanner
from tests.fingerprints.helpers import EDITS, normalised_prefix, plain_fraction, sample_passages, texts

EXPLANATION = re.compile(r"^与登记文件“(?P<label>[^”]+)”第(?P<para>\d+)段高度相似（相似度 (?P<pct>\d+)%）"
                         r"(?:；原文中夹有不可见字符或组合字符，已按读者所见的文字比对)?$")  # the scanner's note on hidden characters


@pytest.fixture(scope="module")
def scanner(registered: Path) -> Scanner:
    return Scanner.load(registered, defaults=False)


def _host(names: list[str], rnd: random.Random) -> tuple[str, int]:
    """An unregistered public document and a paragraph boundary in it where the passage goes."""
    host = texts()[rnd.choice(names)][:6000]
    cut = host.find("\n", rnd.randrange(len(host) // 2))
    return host, (cut if cut >= 0 else len(host))


def _same_source(name: str, reported: int, expected: int, passage: str) -> bool:
    """The reported paragraph is the one the passage came from, or (laws repeat themselves: 第九条 and 第十条 may
    share a long clause) another paragraph of the same document that holds the matched text word for word."""
    if reported == expected:
        return True
    paras = fp.paragraphs_of(texts()[name])
    a, b = _normalised(passage), _normalised(paras[reported - 1])
    return difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match().size >= 30


def _normalised(text: str) -> str:
    cps, _ = fp.content_chars(fp.fold(text))
    return "".join(map(chr, cps.tolist()))


def _found(scanner: Scanner, draft: str, inserted: tuple[int, int], name: str, paragraph: int) -> list[dict[str, object]]:
    out = []
    for f in scanner.scan(draft).findings:
        m = EXPLANATION.match(f.explanation)
        if f.rule != "stand-ins" or m is None:
            continue
        assert 0 <= f.start < f.end <= len(draft)  # original offsets even when fold() deleted invisible characters
        assert f.match == draft[f.start : f.end]  # the draft's own passage, original offsets
        overlaps = f.start < inserted[1] and f.end > inserted[0]
        if overlaps and m["label"] == name.removesuffix(".txt") and _same_source(name, int(m["para"]), paragraph,
                                                                                   draft[inserted[0] : inserted[1]]):
            out.append({"pct": int(m["pct"]), "severity": f.severity, "start": f.start, "end": f.end})
    return out


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_copied_200_character_passages_are_found(scanner: Scanner, halves: tuple[list[str], list[str]], edit: str) -> None:
    registered, others = halves
    rnd = random.Random(f"200-{edit}")
    passages = sample_passages(registered, 200, 30, seed=len(edit))
    assert len(passages) == 30
    missed = []
    for name, paragraph, passage in passages:
        edited = EDITS[edit](passage, rnd)
        host, cut = _host(others, rnd)
        draft = host[:cut] + "\n" + edited + host[cut:]
        hits = _found(scanner, draft, (cut + 1, cut + 1 + len(edited)), name, paragraph)
        if not hits:
            missed.append((name, paragraph, edited[:40]))
            continue
        assert hits[0]["severity"] == Severity.BLOCK
        if edit in ("exact", "spaces", "traditional", "full_width", "punctuation"):
            assert hits[0]["pct"] >= 90, (edit, hits)
    assert missed == [], missed


def test_fifty_normalised_characters_are_always_found(scanner: Scanner, halves: tuple[list[str], list[str]]) -> None:
    registered, others = halves
    rnd = random.Random(50)
    passages = sample_passages(registered, 120, 60, seed=50)
    missed = []
    for name, paragraph, passage in passages:
        start = rnd.randrange(0, 40)
        piece = normalised_prefix(passage[start:], 50)
        host, cut = _host(others, rnd)
        draft = host[:cut] + piece + host[cut:]
        if not _found(scanner, draft, (cut, cut + len(piece)), name, paragraph):
            missed.append((name, paragraph, piece))
    assert missed == []


def test_short_shared_phrases_are_not_findings(scanner: Scanner, halves: tuple[list[str], list[str]]) -> None:
    """Below the minimum passage (30 normalised characters) nothing is reported, even when copied exactly."""
    registered, _ = halves
    for name, paragraph, passage in sample_passages(registered, 120, 20, seed=29):
        piece = normalised_prefix(passage, 26)
        assert [f for f in scanner.scan("今天的会议很成功。" + piece + "大家表示满意。").findings if f.rule == "stand-ins"] == []


def test_a_long_copy_is_reported_per_registered_paragraph(scanner: Scanner, halves: tuple[list[str], list[str]]) -> None:
    registered, _ = halves
    name = next(n for n in registered if sum(len(p) >= 150 for p in fp.paragraphs_of(texts()[n])) >= 3)
    paras = fp.paragraphs_of(texts()[name])
    idx = [i for i, p in enumerate(paras) if len(p) >= 150][:3]
    draft = "各有关单位：\n" + "\n".join(paras[i] for i in idx) + "\n特此通知。"
    found = {int(m["para"]) for f in scanner.scan(draft).findings if (m := EXPLANATION.match(f.explanation))
             and m["label"] == name.removesuffix(".txt")}
    assert {i + 1 for i in idx} <= found


def _public_boilerplate() -> tuple[str, str]:
    """(name, sentence): a sentence of 40+ characters of a real government report that is ordinary public prose
    (every selected gram of it occurs in two or more public documents)."""
    for name in sorted(n for n in texts() if n.startswith("gwr-")):
        for para in fp.paragraphs_of(texts()[name]):
            for sentence in re.split("(?<=[。；])", para):
                if len(sentence) >= 40 and plain_fraction(sentence) == 0.0:
                    return name, sentence
    raise AssertionError("no boilerplate sentence in the in-repo reports")


def test_boilerplate_is_not_found(tmp_path: Path) -> None:
    """A registered notice mixes ordinary public prose with its own content: the public report the prose comes
    from passes, a draft that copies the notice's own content is found."""
    from reviewer.cli import main

    report, prose = _public_boilerplate()
    own = ("经核查，某市第三水厂改扩建工程在二〇二五年九月的联合验收中发现，二号滤池的反冲洗管道存在焊缝渗漏，"
           "施工方已按照整改通知单更换了十四段管材，复检结论将于下月初报送市住建局和市水务集团。")
    phrase = "我们坚持以人民为中心的发展思想，把群众用水安全放在首位。"
    source = tmp_path / "src" / "第三水厂通报.txt"
    source.parent.mkdir()
    source.write_text(f"关于第三水厂验收情况的通报\n{prose}\n{phrase}{own}\n", encoding="utf-8")
    out = tmp_path / "rules"
    assert main(["fingerprints", "build", "--id", "water", "--out", str(out), str(source)]) == 0
    scanner = Scanner.load(out, defaults=False)
    assert [f for f in scanner.scan(texts()[report]).findings if f.rule == "water"] == []
    assert [f for f in scanner.scan("会议强调，要坚持以人民为中心的发展思想，办好民生实事。").findings if f.rule == "water"] == []
    leaked = scanner.scan("本网讯 " + own[:70] + "。")
    assert [f.explanation for f in leaked.findings if f.rule == "water"] == ["与登记文件“第三水厂通报”第3段高度相似（相似度 100%）"]
    # without the common list the same prose would have matched: the list is what keeps it out
    out2 = tmp_path / "rules2"
    assert main(["fingerprints", "build", "--id", "water", "--no-default-common", "--out", str(out2), str(source)]) == 0
    assert [f for f in Scanner.load(out2, defaults=False).scan(texts()[report]).findings if f.rule == "water"] != []


def test_common_dir_drops_what_it_contains(tmp_path: Path) -> None:
    from reviewer.cli import main

    name = "law-0150.txt"
    text = texts()[name]
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    paras = fp.paragraphs_of(text)
    i = max(range(len(paras)), key=lambda j: len(paras[j]))
    common = tmp_path / "public"
    common.mkdir()
    (common / "quote.txt").write_text("转载：" + paras[i], encoding="utf-8")
    out = tmp_path / "rules"
    assert main(["fingerprints", "build", "--id", "law", "--common", str(common), "--out", str(out), str(src)]) == 0
    scanner = Scanner.load(out, defaults=False)
    assert [f for f in scanner.scan(paras[i]).findings if f.rule == "law"] == []
    other = max((j for j in range(len(paras)) if j != i), key=lambda j: len(paras[j]))
    assert [f.rule for f in scanner.scan(paras[other]).findings if f.rule == "law"] == ["law"]


def test_registered_and_draft_documents_in_other_formats(tmp_path: Path) -> None:
    """A Word source keeps its paragraph numbering; a copied paragraph hidden in a Word draft's table is found."""
    import io

    import docx

    from reviewer.cli import main

    paras = [p for p in fp.paragraphs_of(texts()["law-0123.txt"]) if len(p) >= 80][:6]
    src = docx.Document()
    src.add_paragraph("内部资料 注意保存")
    for p in paras:
        src.add_paragraph(p)
    (tmp_path / "src").mkdir()
    src.save(str(tmp_path / "src" / "会议纪要.docx"))
    unique = max(fp.paragraphs_of(texts()["law-0124.txt"]), key=len)
    html = f"<html><body><h1>情况简报</h1><p>{paras[3]}</p><div><span>{unique}</span></div></body></html>"
    (tmp_path / "src" / "brief.html").write_text(html, encoding="utf-8")
    out = tmp_path / "rules"
    assert main(["fingerprints", "build", "--id", "minutes", "--severity", "review", "--out", str(out),
                 str(tmp_path / "src" / "会议纪要.docx"), str(tmp_path / "src" / "brief.html"),
                 "--label", "2025年第4次党组会议纪要"]) == 0
    scanner = Scanner.load(out, defaults=False)
    draft = docx.Document()
    draft.add_paragraph("关于开展专项检查的公告")
    table = draft.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "检查内容"
    table.cell(0, 1).text = paras[2]
    buf = io.BytesIO()
    draft.save(buf)
    result = scan_document(scanner, buf.getvalue(), "公告.docx")
    hits = [f for f in result.findings if f.rule == "minutes"]
    # only the copied cell: the draft's document properties (same generator and template) are not registered text
    assert [(f.location, f.explanation.split("高度")[0]) for f in hits] == [("表格1 第1行第2列", "与登记文件“2025年第4次党组会议纪要”第4段")]
    assert hits[0].severity == Severity.REVIEW and result.verdict == Verdict.REVIEW
    html_hits = [f.explanation.split("高度")[0] for f in scanner.scan("转发：" + unique).findings if f.rule == "minutes"]
    assert html_hits == ["与登记文件“brief”第3段"]

"""A fingerprint rule loads like any other rule (--rules, REVIEWER_RULES_PATH), changes the rule-set version, and
fails closed when its files are missing, altered or foreign. `reviewer scan --format json` reports the finding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from reviewer.cli import main
from reviewer.errors import RuleError
from reviewer.ruleset.loader import load_rules
from reviewer.scan import fingerprints as fp
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR, Settings
from tests.fingerprints.helpers import IN_REPO, texts

SOURCE = IN_REPO / "law-0150.txt"


def _paragraph(name: str = "law-0150.txt") -> tuple[int, str]:
    paras = fp.paragraphs_of(texts()[name])
    i = max(range(len(paras)), key=lambda j: len(paras[j]))
    return i + 1, paras[i]


@pytest.fixture
def rule_dir(tmp_path: Path) -> Path:
    out = tmp_path / "rules"
    assert main(["fingerprints", "build", "--id", "notice-q3", "--label", "2025年第3季度内部通报", "--out", str(out),
                 str(SOURCE)]) == 0
    return out


def test_scan_json_reports_label_paragraph_similarity(rule_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    number, paragraph = _paragraph()
    draft = tmp_path / "draft.txt"
    body = "关于做好秋季防汛工作的通知\n" + paragraph[:150] + "\n请各单位认真落实。\n"
    draft.write_text(body, encoding="utf-8")
    capsys.readouterr()
    code = main(["scan", "--rules", str(rule_dir), "--format", "json", str(draft)])
    out = json.loads(capsys.readouterr().out.splitlines()[0])
    assert code == 1 and out["verdict"] == "block"
    hits = [f for f in out["findings"] if f["rule"] == "notice-q3"]
    assert len(hits) == 1
    f = hits[0]
    assert f["explanation"] == f"与登记文件“2025年第3季度内部通报”第{number}段高度相似（相似度 100%）"
    assert f["match"] == body[f["start"] : f["end"]] and len(f["match"]) >= 100
    assert f["severity"] == "block" and f["category"] == "登记文件" and f["message"]
    assert out["rules_version"] == Scanner.load(rule_dir).rules_version


def test_env_path_loads_the_rule(rule_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWER_RULES_PATH", str(rule_dir))
    scanner = Scanner.load(settings=Settings.from_env())
    assert "notice-q3" in {lr.rule.id for lr in scanner.ruleset.rules}
    assert any(f.rule == "notice-q3" for f in scanner.scan(_paragraph()[1]).findings)


def test_version_changes_with_registration(rule_dir: Path, tmp_path: Path) -> None:
    base = load_rules([BUILTIN_RULES_DIR]).version
    v1 = load_rules([BUILTIN_RULES_DIR, rule_dir]).version
    assert v1 != base
    # the same sources built again (new key, new hashes) and a different source both give a new version; an existing
    # rule is only replaced with --force (its key would be lost)
    key = (rule_dir / "notice-q3.key").read_bytes()
    assert main(["fingerprints", "build", "--id", "notice-q3", "--out", str(rule_dir), str(SOURCE)]) == 2
    assert (rule_dir / "notice-q3.key").read_bytes() == key
    assert load_rules([BUILTIN_RULES_DIR, rule_dir]).version == v1
    assert main(["fingerprints", "build", "--force", "--id", "notice-q3", "--out", str(rule_dir), str(SOURCE)]) == 0
    v2 = load_rules([BUILTIN_RULES_DIR, rule_dir]).version
    assert main(["fingerprints", "build", "--id", "notice-q3", "--force", "--out", str(rule_dir), str(SOURCE),
                 str(IN_REPO / "law-0151.txt")]) == 0
    v3 = load_rules([BUILTIN_RULES_DIR, rule_dir]).version
    assert len({base, v1, v2, v3}) == 4


def test_altered_data_file_fails_closed(rule_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = rule_dir / "notice-q3.fp"
    blob = bytearray(data.read_bytes())
    blob[100] ^= 1
    data.write_bytes(bytes(blob))
    with pytest.raises(RuleError, match="SHA-256"):
        Scanner.load(rule_dir, defaults=False)
    draft = tmp_path / "d.txt"
    draft.write_text("普通通知", encoding="utf-8")
    capsys.readouterr()
    assert main(["scan", "--rules", str(rule_dir), str(draft)]) == 2
    assert "规则错误" in capsys.readouterr().err


def test_truncated_data_with_matching_digest_fails_closed(rule_dir: Path) -> None:
    """Someone who also edits data_sha256 still cannot slip a broken file in: the structure is checked."""
    import hashlib

    data = rule_dir / "notice-q3.fp"
    blob = data.read_bytes()[:-16 * 3 - 4]
    data.write_bytes(blob)
    y = rule_dir / "notice-q3.yaml"
    rule = yaml.safe_load(y.read_text(encoding="utf-8"))
    rule["data_sha256"] = hashlib.sha256(blob).hexdigest()
    y.write_text(yaml.safe_dump(rule, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError, match="截断|损坏"):
        Scanner.load(rule_dir, defaults=False)


@pytest.mark.parametrize("change", ["no_key", "bad_key", "no_data", "other_gram", "other_hash", "doc_out_of_range"])
def test_broken_rule_files_fail_closed(rule_dir: Path, change: str) -> None:
    y = rule_dir / "notice-q3.yaml"
    rule = yaml.safe_load(y.read_text(encoding="utf-8"))
    if change == "no_key":
        (rule_dir / "notice-q3.key").unlink()
    elif change == "bad_key":
        (rule_dir / "notice-q3.key").write_text("00ff\n", encoding="ascii")
    elif change == "no_data":
        (rule_dir / "notice-q3.fp").unlink()
    elif change == "other_gram":
        rule["gram"] = fp.K + 1
    elif change == "other_hash":
        rule["hash"] = "md5"
    elif change == "doc_out_of_range":
        rule["documents"] = []
    y.write_text(yaml.safe_dump(rule, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError):
        Scanner.load(rule_dir, defaults=False)


def test_rules_check_accepts_a_fingerprint_rule_without_examples(rule_dir: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(rule_dir)]) == 0
    assert "规则检查通过" in capsys.readouterr().out


def test_unreadable_source_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    out = tmp_path / "rules"
    code = main(["fingerprints", "build", "--id", "x", "--out", str(out), str(SOURCE), str(bad)])
    assert code == 2
    assert "无法完整读取" in capsys.readouterr().err
    assert not out.exists()
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    assert main(["fingerprints", "build", "--id", "x", "--out", str(out), str(empty)]) == 2
    assert main(["fingerprints", "build", "--id", "Bad ID", "--out", str(out), str(SOURCE)]) == 2
    assert not out.exists()


def test_rule_id_equals_file_stem_even_when_copied(rule_dir: Path, tmp_path: Path) -> None:
    """Copying the three files to another directory keeps the rule working (paths are relative)."""
    other = tmp_path / "elsewhere"
    shutil.copytree(rule_dir, other)
    scanner = Scanner.load(other, defaults=False)
    assert [f.rule for f in scanner.scan(_paragraph()[1]).findings] == ["notice-q3"]


def test_clean_public_text_passes_with_the_rule(rule_dir: Path) -> None:
    scanner = Scanner.load(rule_dir)
    for name in ("law-0001.txt", "gwr-0002.txt", "law-0152.txt"):
        assert [f for f in scanner.scan(texts()[name]).findings if f.rule == "notice-q3"] == []


def test_finding_span_is_the_pasted_passage_when_invisible_and_expanding_characters_precede_it(rule_dir: Path) -> None:
    """fold() deletes invisible characters and expands NFKC forms (㍿ -> 株式会社): the finding's offsets must still be
    those of the pasted passage in the draft as submitted, not shifted by what folding removed or added."""
    _, paragraph = _paragraph()
    passage = paragraph[:160]
    hidden = "\u200b\u2060\ufeff\u00ad" * 15 + "㍿ＡＢＣ①" * 3  # 60 deleted, several expanded, before the passage
    spaced = "".join(c + ("\u200b" if i % 3 == 0 else "") for i, c in enumerate(passage))
    draft = "附件说明" + hidden + "\n" + spaced
    scanner = Scanner.load(rule_dir, defaults=False)
    hits = [f for f in scanner.scan(draft).findings if f.rule == "notice-q3"]
    assert hits, scanner.scan(draft).findings
    start = draft.index(spaced)
    for f in hits:
        assert start <= f.start < f.end <= len(draft), (f.start, f.end, start, len(draft))
        assert f.match == draft[f.start : f.end]
        assert f.match.replace("\u200b", "") in passage  # the visible passage, none of the text before it

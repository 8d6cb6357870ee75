"""Registered documents that quote public text (issue 22): passages found in a public reference list (`reviewer
fingerprints public build`, `build --public`) are not registered, so a public draft quoting the same law is not
reported as copied; the document's own passages still are; the public share is shown; the unit's released items are
measured (and left out only with --exclude-released)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
import yaml

from reviewer.cli import main
from reviewer.scan import fingerprints as fp
from reviewer.scan.scanner import Scanner
from tests.fingerprints.helpers import texts
from tests.fingerprints.test_pipeline import _released, env  # noqa: F401 - the database fixture of the pipeline tests

LAW = "law-0150.txt"
OWN = ("第三督查组在暗访中发现，部分窗口单位仍存在推诿扯皮、超时办结等问题，涉及事项共计四十七件，已责令限期整改并约谈相关负责人。",
       "下一步，督查室将会同纪检组对整改情况开展回头看，整改不到位的单位在年度考核中予以扣分，并在内部通报中点名批评。")


def _law_paragraphs() -> list[str]:
    paras = fp.paragraphs_of(texts()[LAW])
    return sorted((p for p in paras if len(p) >= 60), key=len, reverse=True)[:2]


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    """(rules built with the public list, rules built without it) from one internal document quoting the law."""
    src, pub = tmp_path / "src", tmp_path / "pub"
    src.mkdir()
    pub.mkdir()
    quotes = _law_paragraphs()
    (src / "内部通报.txt").write_text("\n".join([OWN[0], *quotes, OWN[1]]) + "\n", encoding="utf-8")
    (pub / LAW).write_text(texts()[LAW], encoding="utf-8")
    code, out = _run("fingerprints", "public", "build", "--out", str(tmp_path / "public.pub"), str(pub))
    assert code == 0 and "public.pub" in out
    code, out = _run("fingerprints", "build", "--id", "with-public", "--public", str(tmp_path / "public.pub"),
                     "--out", str(tmp_path / "a"), str(src))
    assert code == 0 and "公开部分" in out
    code, out = _run("fingerprints", "build", "--id", "without", "--out", str(tmp_path / "b"), str(src))
    assert code == 0 and "公开部分" not in out  # nothing measured: the old interface, the old output
    return tmp_path / "a", tmp_path / "b"


def test_public_quotes_are_not_registered_own_passages_are(built: tuple[Path, Path]) -> None:
    with_public, without = built
    quote = "现将有关规定摘录如下：" + _law_paragraphs()[0]
    own = "工作简报：" + OWN[0]
    a = Scanner.load(with_public, defaults=False)
    b = Scanner.load(without, defaults=False)
    assert [f.rule for f in b.scan(quote).findings] == ["without"]  # the false positive of the issue
    assert a.scan(quote).findings == []
    assert [f.rule for f in a.scan(own).findings] == ["with-public"]


def test_the_public_share_is_in_the_rule_file(built: tuple[Path, Path]) -> None:
    with_public, without = built
    doc = yaml.safe_load((with_public / "with-public.yaml").read_text(encoding="utf-8"))["documents"][0]
    assert 0.3 < doc["public_share"] < 0.95  # two law paragraphs of four
    assert "public_share" not in yaml.safe_load((without / "without.yaml").read_text(encoding="utf-8"))["documents"][0]


def test_a_damaged_or_foreign_public_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.pub"
    fp.write_public(path, np.array([5, 3, 9], np.uint64))
    assert list(fp.read_public(path)) == [3, 5, 9]
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match="截断"):
        fp.read_public(path)
    (tmp_path / "src.txt").write_text(OWN[0], encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code, _ = _run("fingerprints", "build", "--id", "x", "--public", str(path), "--out", str(tmp_path / "r"),
                       str(tmp_path / "src.txt"))
    assert code == 2 and "公开文本参照列表" in err.getvalue() and not (tmp_path / "r").exists()


def test_released_items_are_measured_and_left_out_only_on_request(env) -> None:  # noqa: ANN001, F811
    """A released item quoting the registered paragraph: by default the passage stays registered (the re-scan raises
    the post-release alert, test_pipeline.py) and its share is listed; with exclude_released it is not registered."""
    from reviewer.accounts.actor import Actor
    from reviewer.workflow import fingerprints as registry
    from reviewer.workflow import jobs
    from tests.workflow.helpers import user

    db, settings, _ = env
    scanners = jobs.ScannerCache(settings)
    paragraph = _law_paragraphs()[0]
    item_id = _released(db, scanners, "转发有关规定\n" + paragraph + "\n")
    document = [OWN[0], paragraph, OWN[1]]
    with db.session() as s:
        officer = Actor.of_user(user(s, "off1"))
        kept = registry.register(s, "kept", [("通报甲", document)], common=fp.default_common(), actor=officer)
        left = registry.register(s, "left-out", [("通报乙", document)], common=fp.default_common(), actor=officer,
                                 exclude_released=True)
    assert kept.released_share and 0.2 < kept.released_share < 0.8 and kept.public_share is None
    assert left.public_share == pytest.approx(left.released_share) and left.public_share
    with db.session() as s:
        listed = {row.rule_id: row for row in registry.list_sets(s, "U1")}
    assert "已发布稿件中" in listed["kept"].public_text and "公开部分" in listed["left-out"].public_text
    assert jobs.run_rescan(db, scanners, item_id) == "alert"
    with db.session() as s:
        from sqlalchemy import select

        from reviewer.store.models import Alert

        summary = s.execute(select(Alert).where(Alert.item_id == item_id)).scalar_one().summary
    assert "kept" in summary and "left-out" not in summary

"""Bounded work (issue 19): what a file will make the engines do is counted before they do it, and a small file that
asks for out-of-proportion work is `error` with a Chinese reason within seconds — never `pass`, never minutes."""

from __future__ import annotations

import time

import pytest

from reviewer.extract import extract
from reviewer.extract.workload import check_pdf_bytes, tokenise
from tests.extract import crafted as c
from tests.extract.helpers import Page, make_pdf

BOUND = 15.0  # seconds: generous for a loaded 2-core machine; the old code took 35 CPU s or never finished

CRAFTED = {
    "form-3000.pdf": lambda: c.form_bomb_pdf(3000, 40),
    "form-escaped-name.pdf": lambda: c.form_bomb_pdf(3000, 40, name=b"/#58"),  # /#58 is /X
    "form-nested.pdf": lambda: c.form_bomb_pdf(60, 40, depth=2),
    "form-deep.pdf": lambda: c.form_bomb_pdf(1000, 5, depth=6),
    "type3.pdf": lambda: c.type3_pdf(),
    "inline-then-forms.pdf": lambda: c.hidden_after_inline_image_pdf(),
    "many-pages.pdf": lambda: c.pages_pdf(120, 400),
    "image-30000.pdf": lambda: c.image_pdf(30000, 30000),
    "image-30000.docx": lambda: c.docx_with_image(30000, 30000),
    "formulas.xlsx": lambda: c.xlsx_formulas(1_000_000),
    "nested.html": lambda: c.nested_html(10_000),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_file_is_error_within_seconds(name: str) -> None:
    data = CRAFTED[name]()
    assert len(data) < 120_000, "the attack is a small file"
    started = time.monotonic()
    result = extract(data, name)
    took = time.monotonic() - started
    assert result.error, f"{name}: out-of-proportion work must be an error, never read as usual"
    assert "上限" in result.error and "超过" in result.error
    assert took < BOUND, f"{name}: {took:.1f} s"


def test_pdf_under_the_limits_is_read() -> None:
    """The same shapes at an ordinary size are read as before (the limits are not a blanket refusal)."""
    for data in (c.form_bomb_pdf(3, 4), c.image_pdf(2480, 3508), c.type3_pdf(glyphs=20, proc_paints=2),
                 make_pdf([Page(["第一页的文字"]), Page(["第二页"])])):
        result = extract(data, "ok.pdf")
        assert result.error is None, result.error
    assert extract(c.docx_with_image(2000, 1500), "ok.docx").error is None
    assert extract(c.xlsx_formulas(5_000), "ok.xlsx").error is None
    assert extract(c.nested_html(200), "ok.html").error is None


def test_unclosed_paragraphs_are_not_nesting() -> None:
    page = b"<html><body>" + b"<p>\xe6\x96\x87\xe5\xad\x97" * 5000 + b"</body></html>"  # 5,000 unclosed <p>
    assert extract(page, "old-cms.html").error is None


def test_counter_sees_through_strings_comments_and_inline_images() -> None:
    s = tokenise(b"(a (nested) Do) Tj % /X Do\n[(x)-20<0041>] TJ BI /W 10 /H 20 ID \x00EI\x01 EI /X Do /Y Do")
    assert s.xobjects == {b"X": 1, b"Y": 1}, "the Do inside a string and a comment is not one; the two after EI are"
    assert s.own.glyphs >= len("a (nested) Do") + 1 + 1
    assert s.own.pixels == 200


def test_render_check_refuses_before_pdfium() -> None:
    from reviewer.errors import LimitExceeded

    with pytest.raises(LimitExceeded):
        check_pdf_bytes(c.form_bomb_pdf(3000, 40))


def test_the_render_check_does_not_count_what_the_extraction_just_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bytes under the same limits: counted once (the extraction), not again (the render check); other
    bytes, or the same bytes under other limits, are counted; what was refused is never remembered."""
    from dataclasses import replace

    from reviewer.errors import LimitExceeded
    from reviewer.extract import workload
    from reviewer.extract.limits import DEFAULT_LIMITS

    calls: list[int] = []
    real = workload.check_pdf

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(workload, "check_pdf", counted)
    data = make_pdf([Page(["关于做好春季防汛工作的通知"])])
    assert extract(data, "a.pdf").error is None
    check_pdf_bytes(data)
    assert calls == [], "counted again"
    check_pdf_bytes(data + b"\n%")  # other bytes
    assert calls == [1]
    strict = replace(DEFAULT_LIMITS, max_page_glyphs=3)
    with pytest.raises(LimitExceeded):
        check_pdf_bytes(data, strict)  # the same bytes under stricter limits: counted, and refused
    bomb = c.form_bomb_pdf(3000, 40)
    for _ in range(2):  # refused, and refused again: a refusal is never remembered as counted
        with pytest.raises(LimitExceeded):
            check_pdf_bytes(bomb)

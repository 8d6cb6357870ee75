"""render.locate.place: a text finding boxed where the reader sees it on the rendered pages."""

from __future__ import annotations

from reviewer.render.locate import place
from reviewer.render.model import Line, RenderedPage


def _line(text: str, y: int, x0: int = 10, w: int = 20) -> Line:
    boxes = [(x0 + i * w, y, x0 + (i + 1) * w, y + 20) for i in range(len(text))]
    return Line(text, boxes, "text")


def _page(number: int, *lines: Line) -> RenderedPage:
    return RenderedPage(number, 600, 800, b"", f"{number:064x}", list(lines))


def test_term_on_the_second_page_is_boxed_there() -> None:
    pages = [_page(1, _line("关于做好考核工作的通知", 40)), _page(2, _line("本件涉及秘密★5年材料", 100, x0=50))]
    got = place([("f1", "秘密★5年", 30)], pages)
    assert got == {"f1": (2, (50 + 4 * 20, 100, 50 + 9 * 20, 120))}


def test_broken_over_lines_and_full_width_still_found() -> None:
    pages = [_page(1, _line("身份证号码11010519", 40), _line("491231002X，请核实", 70))]
    got = place([("id", "11010519491231002X", 5)], pages)
    page, box = got["id"]
    assert page == 1 and box[1] == 40  # boxed on the line where it starts
    wide = [_page(1, _line("电话１３９００００１１１１", 40))]
    assert "ph" in place([("ph", "13900001111", 2)], wide)


def test_kth_finding_goes_to_kth_occurrence_and_missing_stays_unplaced() -> None:
    pages = [_page(1, _line("青鸾四号", 40)), _page(3, _line("再次提到青鸾四号", 300))]
    got = place([("b", "青鸾四号", 90), ("a", "青鸾四号", 10), ("c", "青鸾四号", 200)], pages)
    assert got["a"][0] == 1 and got["b"][0] == 3
    assert "c" not in got  # a third finding has no third occurrence: never boxed somewhere else
    assert place([("x", "不在页面上", 0)], pages) == {}

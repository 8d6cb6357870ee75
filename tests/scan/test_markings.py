"""Marking versus mention: instructions in running text, star look-alikes, labelled 份号, markings that share their
line with page furniture (page numbers, tabs, Excel header/footer codes). Each finding's offsets slice the original."""

from __future__ import annotations

import pytest

from reviewer.scan import markings
from reviewer.scan.model import Finding, Severity, Verdict
from reviewer.scan.scanner import Scanner

PROSE = "各部门要围绕年度目标，细化工作措施，压实工作责任，确保各项任务按期完成。"


def counting(scanner: Scanner, text: str) -> list[Finding]:
    return [f for f in scanner.scan(text).findings if f.severity != Severity.INFO]


def only(scanner: Scanner, text: str, rule: str) -> Finding:
    found = [f for f in counting(scanner, text) if f.rule == rule]
    assert len(found) == 1, (rule, [(f.rule, f.match) for f in counting(scanner, text)])
    assert text[found[0].start : found[0].end] == found[0].match
    return found[0]


# ------------------------------------------------------------------ instructions in running text
@pytest.mark.parametrize(
    ("inserted", "rule", "severity"),
    [
        ("该名单严禁外传。", "no-dissemination", Severity.BLOCK),
        ("以上材料请勿外传，", "no-dissemination", Severity.BLOCK),
        ("纪要阅后收回。", "no-dissemination", Severity.BLOCK),
        ("（本件不予公开）", "not-for-release", Severity.BLOCK),
        ("此件不公开，", "not-for-release", Severity.BLOCK),
        ("本册系内部资料，", "internal-marking", Severity.REVIEW),
        ("以下仅供内部参考：", "internal-marking", Severity.REVIEW),
        ("统计表请注意保存。", "internal-marking", Severity.REVIEW),
    ],
)
def test_instruction_mid_paragraph_counts(scanner: Scanner, inserted: str, rule: str, severity: Severity) -> None:
    text = "关于做好年度考核工作的通知\n" + PROSE + inserted + PROSE + "\n"
    assert counting(scanner, "关于做好年度考核工作的通知\n" + PROSE + PROSE + "\n") == []
    f = only(scanner, text, rule)
    assert f.severity == severity
    assert f.match in inserted
    assert f.rule_title  # every built-in rule has a Chinese title


def test_instruction_split_across_a_wrapped_line_counts(scanner: Scanner) -> None:
    text = PROSE + "内部数据不得外\n传，" + PROSE
    f = only(scanner, text, "no-dissemination")
    assert f.match == "不得外\n传"


@pytest.mark.parametrize(
    "text",
    [
        "第二条 本办法所称内部资料性出版物，是指在本行业、本系统内部用于指导工作的非卖性单本成册资料。",
        "第三条 内部刊物和内部资料的印制，应当经主管部门批准。",
        "建立健全内部资料管理制度，规范登记流程。",
        "请申请人注意保存相关证据，以备核查。",
        "注意保存好购物凭证和发票。",
        "（此件主动公开）",
        "（此件依申请公开）",
        "加强内部管理，防止信息外泄。",
        "各单位应当妥善保管档案材料。",
    ],
)
def test_category_names_and_near_misses_do_not_count(scanner: Scanner, text: str) -> None:
    assert counting(scanner, text) == [], text


def test_marking_beats_exemption_but_inline_hit_respects_it(scanner: Scanner) -> None:
    # alone on its line the category name is still a marking; in running text it names a category
    assert [f.rule for f in counting(scanner, "内部资料\n第一期")] == ["internal-marking"]
    assert counting(scanner, "依照内部资料性出版物管理规定办理。") == []


# ------------------------------------------------------------------ star look-alikes
@pytest.mark.parametrize("star", list(markings.STARS + markings.ASTERISKS))
def test_every_star_look_alike_with_a_period_is_a_marking(scanner: Scanner, star: str) -> None:
    mark = f"机密{star}8年"
    text = PROSE + "\n" + mark + "\n" + PROSE
    f = only(scanner, text, "classification-marking")
    assert f.severity == Severity.BLOCK and f.match == mark


def test_star_look_alike_with_spaces_and_full_width_digits(scanner: Scanner) -> None:
    text = "正文如下。本报告密级为 秘 密 ＊ ３年，请妥善保管。"
    f = only(scanner, text, "classification-marking")
    assert f.match == "秘 密 ＊ ３年"
    assert "以“＊”代替★" in f.explanation


@pytest.mark.parametrize(
    "text",
    [
        "保密期限除另有规定外，绝密级不超过三十年，机密级不超过二十年，秘密级不超过十年。",
        "一般为绝密30年、机密20年、秘密10年。",
        "期限为：绝密≤30年，机密≤20年，秘密≤10年。",
        "**机密**文件的管理要求如下。",
        "涉及机密*的条目见脚注。",
    ],
)
def test_period_lists_and_asterisk_footnotes_are_mentions(scanner: Scanner, text: str) -> None:
    assert scanner.scan(text).verdict == Verdict.PASS, [(f.rule, f.match) for f in counting(scanner, text)]


def test_asterisk_without_period_counts_only_on_a_head_line(scanner: Scanner) -> None:
    assert only(scanner, "秘密*\n关于调整工作安排的报告\n" + PROSE, "classification-marking").match == "秘密*"
    assert scanner.scan("关于调整工作安排的报告\n" + PROSE + "秘密*" + PROSE).verdict == Verdict.PASS


# ------------------------------------------------------------------ 份号
@pytest.mark.parametrize(
    ("head", "match"),
    [
        ("份号：003317", "份号：003317"),
        ("份号:", "份号:"),
        ("份 号 000208", "份 号 000208"),
        ("No.004112", "No.004112"),
        ("NO: 117320", "NO: 117320"),
        ("№ 000931", "№ 000931"),
    ],
)
def test_labelled_copy_number_at_the_head(scanner: Scanner, head: str, match: str) -> None:
    text = head + "\n关于调整工作安排的报告\n" + PROSE
    f = only(scanner, text, "copy-number")
    assert f.match == match and f.severity == Severity.REVIEW


def test_labelled_copy_number_anywhere_and_not_in_id_phrase(scanner: Scanner) -> None:
    body = "标题\n" + "\n".join([PROSE] * 5)
    assert only(scanner, body + "原件份号：000417，已收回。", "copy-number").match == "份号：000417"
    assert counting(scanner, "公民身份号码\n" + PROSE) == []
    assert counting(scanner, body + "居民身份号：略") == []
    assert counting(scanner, "No.12\n" + PROSE) == []


# ------------------------------------------------------------------ page furniture, separators, codes
@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("内部资料\t第 1 页", "internal-marking"),
        ("内部资料　　第3页/共8页", "internal-marking"),
        ("- 2 -\t内部资料", "internal-marking"),
        ("内部资料 | Page 2 of 5", "internal-marking"),
        ("&L内部资料　注意保管&R第 &P 页", "internal-marking"),
        ("  内部资料　注意保管  第   页", "internal-marking"),  # the same header after the extractor blanked the codes
        ('&C&"宋体,加粗"&12内部资料&R&P/&N', "internal-marking"),
        ("内部资料　2025年第4期", "internal-marking"),
        ("内 部 资 料", "internal-marking"),
        ("工作秘密　注意保管", "work-secret-marking"),
        ("工作秘密注意保管", "work-secret-marking"),
        ("工作秘密\t第 5 页", "work-secret-marking"),
        ("机密\t第 2 页", "classification-marking"),
    ],
)
def test_marking_sharing_its_line_with_page_furniture(scanner: Scanner, line: str, rule: str) -> None:
    text = line + "\n关于调整工作安排的报告\n" + PROSE
    assert rule in [f.rule for f in counting(scanner, text)], line


@pytest.mark.parametrize(
    "line",
    ["加强内部管理\t第 3 页", "第 1 页 共 3 页", "&L某某局&R第 &P 页", "内部控制　2025年第4期", "- 2 -"],
)
def test_page_furniture_alone_or_with_prose_is_not_a_marking(scanner: Scanner, line: str) -> None:
    assert counting(scanner, line + "\n" + PROSE) == [], line


def test_blank_furniture_keeps_length() -> None:
    for line in ["内部资料\t第 1 页", "&L内部资料&R第 &P 页", "秘密 - 3 -"]:
        assert len(markings.blank_furniture(line)) == len(line)


@pytest.mark.parametrize(
    "line", ["工作秘密——注意保管", "工作秘密-注意保管", "工作秘密·注意保管", "工作秘密：注意保管", "〔工作秘密〕", "工作秘密～内部"]
)
def test_markers_joined_by_separators(scanner: Scanner, line: str) -> None:
    assert "work-secret-marking" in [f.rule for f in counting(scanner, line + "\n" + PROSE)], line


@pytest.mark.parametrize("line", ["第六章　工作秘密", "工作秘密的范围", "工作秘密-管理办法"])
def test_work_secret_headings_are_mentions(scanner: Scanner, line: str) -> None:
    assert counting(scanner, line + "\n" + PROSE) == [], line

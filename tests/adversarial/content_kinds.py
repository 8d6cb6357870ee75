"""Kinds of the adversarial corpus for issue 22 ("content with no rule", "false positives that remain"): facility
coordinates, markings split over lines and Markdown head markings, format examples quoted in prose, ID numbers cut
over table cells or written in Chinese numerals, digits inside longer codes, and registered documents that quote
public text. Every leak has a clean counterpart built from the same excerpt; the terms, places and numbers are this
corpus's own (none of the issue's examples). Registered into generate.KINDS at the end of generate.py."""

from __future__ import annotations

import random
import re
from pathlib import Path
from xml.sax.saxutils import escape

from reviewer.scan.validators import id_check_char, luhn
from tests.adversarial.generate import BASE_DIR, KINDS, PER_KIND, _Base, _between, _doc, _docx, _inline, _xlsx, _zip
from tests.scan.helpers import luhn_number

Built = list[tuple[bytes, bytes, str, str]]

# ----------------------------------------------------------------------------- facility coordinates
FACILITIES = ("卫星地面站", "观通站", "弹药仓库", "靶场指挥塔", "微波中继站", "武警营房", "看守所新址", "物资储备库",
              "通信枢纽机房", "雷达阵地", "北斗基准站", "前沿哨所")
PUBLIC_PLACES = (("本次地震震中", "震源深度10千米"), ("该风景名胜区", "年接待游客80万人次"), ("县城中心", "是全县政治文化中心"),
                 ("森林公园入口", "欢迎广大游客前来游览"), ("本次台风中心", "预计向西北方向移动"), ("该旅游景点", "门票价格另行公布"))


def _dms(rng: random.Random, lat: bool) -> tuple[int, int, int]:
    return (rng.randrange(18, 50) if lat else rng.randrange(75, 134)), rng.randrange(0, 60), rng.randrange(0, 60)


_CN_DIGITS = "〇一二三四五六七八九"


def _cn(n: int) -> str:
    """Chinese numerals as a reader writes an angle: 三十九, 一百一十六, 七."""
    units = ""
    if n >= 100:
        units += _CN_DIGITS[n // 100] + "百"
        n %= 100
        if 0 < n < 10:
            return units + "零" + _CN_DIGITS[n]
    if n >= 10:
        units += ("" if n // 10 == 1 and not units else _CN_DIGITS[n // 10]) + "十"
        n %= 10
    if n or not units:
        units += _CN_DIGITS[n]
    return units


def _coordinate(rng: random.Random, form: int) -> str:
    (a, b, c), (d, e, f) = _dms(rng, True), _dms(rng, False)
    if form == 0:
        return f"北纬{a}°{b:02d}′{c:02d}″、东经{d}°{e:02d}′{f:02d}″"
    if form == 1:
        return f"N{a}°{b}'{c}\" E{d}°{e}'{f}\""
    if form == 2:
        return f"北纬{_cn(a)}度{_cn(b)}分{_cn(c)}秒，东经{_cn(d)}度{_cn(e)}分{_cn(f)}秒"
    if form == 3:
        return f"{a}.{rng.randrange(10**4):04d}°N，{d}.{rng.randrange(10**4):04d}°E"
    if form == 4:
        return f"N {a}.{rng.randrange(10**5):05d}, E {d}.{rng.randrange(10**5):05d}"
    return f"北纬{a}度{b}分{c}秒、东经{d}度{e}分{f}秒"


def _coordinates(b: _Base) -> Built:
    out: Built = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt()
        coord = _coordinate(rng, k % 6)
        facility = FACILITIES[k % len(FACILITIES)]
        place, tail = PUBLIC_PLACES[k % len(PUBLIC_PLACES)]
        seed = rng.randrange(1 << 30)
        leak_s = (f"某{facility}位于{coord}，周边设有隔离带。", f"{facility}（坐标：{coord}）已完成改造。",
                  f"新建{facility}选址确定。其具体位置为{coord}。")[k % 3]
        clean_s = f"{place}位于{coord}，{tail}。"
        if k % 4 == 3:  # a Word table row: name | coordinates
            leak_d = _docx_table(lines, [["名称", "位置"], [facility, coord]])
            clean_d = _docx_table(lines, [["名称", "位置"], [place, coord]])
            out.append((leak_d, clean_d, ".docx", f"Word 表格中“{facility}”的坐标“{coord}”"))
            continue
        if k % 4 == 2:  # a web page
            def page(sentence: str) -> bytes:
                body = "".join(f"<p>{escape(ln)}</p>" for ln in _inline(lines, random.Random(seed), sentence))
                return f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{body}</body></html>".encode()
            out.append((page(leak_s), page(clean_s), ".html", f"网页中“{facility}”的坐标“{coord}”"))
            continue
        leak = _inline(lines, random.Random(seed), leak_s)
        clean = _inline(lines, random.Random(seed), clean_s)
        out.append((_doc(leak), _doc(clean), ".txt", f"“{facility}”的坐标“{coord}”；对照：{place}"))
    return out


# ----------------------------------------------------------------------------- split and Markdown markings
def _split_marking(b: _Base) -> Built:
    out: Built = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt()
        level = rng.choice(("秘密", "机密", "绝密"))
        years = rng.randrange(2, 10)
        title = "# " + lines[0][:18]
        form = k % 6
        if form == 0:  # the level's two characters on two lines, the star and period after the second
            leak, clean = [level[0], f"{level[1]}★{years}年", *lines], ["各级机", "密切配合，共同推进", *lines]
            note = f"文首“{level[0]}⏎{level[1]}★{years}年”"
        elif form == 1:  # one character or symbol a line
            leak, clean = [level[0], level[1], "★", *lines], ["信", "息", "公开", *lines]
            note = f"文首“{level[0]}⏎{level[1]}⏎★”"
        elif form == 2:  # Markdown bold line at the head
            leak, clean = [f"**{level}**", "", title, *lines], ["**主动公开**", "", title, *lines]
            note = f"Markdown 文首粗体“**{level}**”"
        elif form == 3:  # Markdown heading
            leak, clean = [f"## {level}★{years}年", "", title, *lines], ["## 公开发布", "", title, *lines]
            note = f"Markdown 标题“## {level}★{years}年”"
        elif form == 4:  # Markdown bold quote
            leak, clean = [f"> **{level}**", "", title, *lines], ["> **此件主动公开**", "", title, *lines]
            note = f"Markdown 粗体引用“> **{level}**”"
        else:  # Markdown table row 密级 | 机密
            leak = ["| 项目 | 内容 |", "| --- | --- |", f"| 密级 | {level} |", "| 承办 | 办公室 |", "", *lines]
            clean = ["| 项目 | 内容 |", "| --- | --- |", "| 密级 | 无 |", "| 承办 | 办公室 |", "", *lines]
            note = f"Markdown 表格行“密级 | {level}”"
        out.append((_doc(leak), _doc(clean), ".md", note))
    return out


# ----------------------------------------------------------------------------- format examples quoted in prose
EXPLAINERS = ("国家秘密标志的规范写法为“{m}”，即密级、★和保密期限依次排列。",
              "保密知识问答：文件首页左上角的标志，如“{m}”，表示该文件属于国家秘密。",
              "按照规定，标志形式为“{m}”“{m2}”等，不得随意简化。",
              "宣传展板列举了常见的标志样式，例如「{m}」。",
              "“{m}”表示该事项的保密期限为{y}年，期满自行解密。",
              "培训课件中，标志的书写格式以“{m}”为例进行了讲解。")


def _quoted_marking(b: _Base) -> Built:
    """Clean: publicity prose that quotes a marking as an example of the format (must pass). Leak: the same prose
    in a document that carries a real marking, at its head, on a line of its own or declared for itself."""
    out: Built = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt()
        level = rng.choice(("秘密", "机密", "绝密"))
        y = rng.randrange(2, 10)
        m, m2 = f"{level}★{y}年", f"{rng.choice(('秘密', '机密'))}★{rng.randrange(1, 9)}年"
        prose = EXPLAINERS[k % len(EXPLAINERS)].format(m=m, m2=m2, y=y)
        seed = rng.randrange(1 << 30)
        clean = _inline(lines, random.Random(seed), prose)
        real = (f"{level}★{y + 1}年", f"本通报密级定为“{level}★{y}年”，请妥善保管。")[k % 2]
        leak = ([real, *clean] if k % 4 == 0 else _between(clean, random.Random(seed + 1), real) if k % 2 == 0
                else _inline(clean, random.Random(seed + 1), real))
        if k % 3 == 2:
            out.append((_docx(leak), _docx(clean), ".docx", f"Word：举例“{m}”的说明文字；泄密样本另有“{real}”"))
            continue
        out.append((_doc(leak), _doc(clean), ".txt", f"举例“{m}”的说明文字；泄密样本另有“{real}”"))
    return out


# ----------------------------------------------------------------------------- ID numbers a reader reads whole
REGIONS = ("370102", "410105", "510107", "230103", "350203", "610113", "130104", "420106")


def _id_number(rng: random.Random) -> str:
    first = (rng.choice(REGIONS) + f"{rng.randrange(1955, 2004)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
             + f"{rng.randrange(1000):03d}")
    return first + id_check_char(first)


def _wrong_check(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != number[17])


def _docx_table(paragraphs: list[str], rows: list[list[str]]) -> bytes:
    """A Word document: the paragraphs, then a table of `rows` (cells as given, one w:tc each)."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs)
    table = "<w:tbl>" + "".join(
        "<w:tr>" + "".join(f'<w:tc><w:p><w:r><w:t xml:space="preserve">{escape(c)}</w:t></w:r></w:p></w:tc>' for c in row)
        + "</w:tr>" for row in rows) + "</w:tbl>"
    base = _docx(paragraphs)
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["word/document.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}"><w:body>{body}'
                                  f"{table}<w:p/></w:body></w:document>").encode()
    return _zip(files)


def _form_rows(value: str, layout: int, name: str) -> list[list[str]]:
    """A printed form with the number cut over cells: one character a cell, or groups, across one or two rows."""
    if layout == 0:
        return [["姓名", name, "性别", "男"], ["公民身份号码", *value]]
    if layout == 1:
        return [["姓名", name], ["公民身份号码", *value[:9]], ["", *value[9:]]]
    if layout == 2:
        return [["申请人", name], ["身份证号", value[:6], value[6:14], value[14:]]]
    return [["姓名", name], ["证件号码", value[:6], value[6:10], value[10:14]], ["", value[14:]]]


def _html_form(lines: list[str], rows: list[list[str]]) -> bytes:
    table = "<table border=\"1\">" + "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>"
    body = "".join(f"<p>{escape(ln)}</p>" for ln in lines[:3])
    return f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{body}{table}</body></html>".encode()


def _id_cells(b: _Base) -> Built:
    out: Built = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt(400)
        number = _id_number(rng)
        name = rng.choice(("周某", "吴某某", "郑某", "孙某"))
        layout = k % 4
        clean_value = _wrong_check(number) if k % 2 else number[:4] + "*" * 10 + number[14:]
        leak_rows, clean_rows = _form_rows(number, layout, name), _form_rows(clean_value, layout, name)
        fmt = k % 3
        if fmt == 0:
            out.append((_docx_table(lines[:3], leak_rows), _docx_table(lines[:3], clean_rows), ".docx",
                        f"Word 表格中按格拆开的身份证号（版式 {layout}）"))
        elif fmt == 1:
            sheet = [[ln[:30]] for ln in lines[:2]]
            out.append((_xlsx(sheet + leak_rows, "", ""), _xlsx(sheet + clean_rows, "", ""), ".xlsx",
                        f"Excel 中按格拆开的身份证号（版式 {layout}）"))
        else:
            out.append((_html_form(lines, leak_rows), _html_form(lines, clean_rows), ".html",
                        f"网页表格中按格拆开的身份证号（版式 {layout}）"))
    return out


NUMERAL_SETS = ("〇一二三四五六七八九", "零一二三四五六七八九", "零壹贰叁肆伍陆柒捌玖")


def _in_numerals(number: str, digits: str, x: str) -> str:
    return "".join(digits[int(c)] if c.isdigit() else x for c in number)


def _id_numerals(b: _Base) -> Built:
    out: Built = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt()
        number = _id_number(rng)
        digits = NUMERAL_SETS[k % 3]
        x = ("X", "十", "拾")[k % 3]
        spoken = _in_numerals(number, digits, x)
        if k % 4 == 1:
            spoken = spoken[:6] + " " + spoken[6:14] + " " + spoken[14:]
        name = rng.choice(("钱某", "冯某某", "褚某"))
        clean_value = (_in_numerals(_wrong_check(number), digits, x) if k % 2 else
                       _in_numerals(number[:6], digits, x) + "＊" * 8 + _in_numerals(number[14:], digits, x))
        frame = ("当事人{n}，公民身份号码{v}。", "{n}（身份证：{v}）", "经核实，{n}的证件号码为{v}，")[k % 3]
        seed = rng.randrange(1 << 30)
        leak = _inline(lines, random.Random(seed), frame.format(n=name, v=spoken))
        clean = _inline(lines, random.Random(seed), frame.format(n=name, v=clean_value))
        if k % 3 == 2:
            out.append((_docx(leak), _docx(clean), ".docx", f"Word 中汉字数字写的身份证号“{spoken}”"))
        else:
            out.append((_doc(leak), _doc(clean), ".txt", f"汉字数字写的身份证号“{spoken}”"))
    return out


# ----------------------------------------------------------------------------- digits inside longer codes
OLD_CARD = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){15,18}(?![0-9A-Za-z])")  # bank-card.yaml before issue 22


def embedded_card(code: str) -> bool:
    """The card rule of before issue 22 reported a stretch of the code as a card (the false positive)."""
    return any(luhn(m.group())[0] for m in OLD_CARD.finditer(code))


def _project_code(rng: random.Random) -> str:
    while True:
        shape = rng.randrange(3)
        if shape == 0:  # 投资项目代码
            code = (f"{rng.randrange(2015, 2026)}-{rng.choice(('370102', '410105', '520102', '620100'))}"
                    f"-{rng.randrange(10, 99)}-{rng.randrange(1, 5):02d}-{rng.randrange(10**6):06d}")
        elif shape == 1:  # a filing number in groups of four
            code = "-".join(f"{rng.randrange(10**4):04d}" for _ in range(5))
        else:  # a permit number with a letter prefix and a long digit body
            code = f"{rng.choice('ABJ')}{rng.randrange(10, 99)}-{rng.randrange(10**8):08d}-{rng.randrange(10**8):08d}"
        if embedded_card(code):
            return code


def _embedded_code(b: _Base) -> Built:
    """Clean: public codes (项目代码, 备案号) whose digits contain a Luhn-valid 16-19 digit stretch: not a card.
    Leak: the same notice also carrying a real card number after 账号."""
    out: Built = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt()
        code = _project_code(rng)
        label = ("项目代码：", "备案编号", "许可证号：")[k % 3]
        card = luhn_number("62" + "".join(rng.choice("0123456789") for _ in range(14 + k % 3)))
        while not luhn(card)[0]:  # one card in 31 also passes the credit-code check (reported as a code: not this class)
            card = luhn_number("62" + "".join(rng.choice("0123456789") for _ in range(14 + k % 3)))
        seed = rng.randrange(1 << 30)
        clean = _inline(lines, random.Random(seed), f"（{label}{code}）")
        leak = _inline(clean, random.Random(seed + 1), f"请将保证金汇入账号：{card}。")
        out.append((_doc(leak), _doc(clean), ".txt", f"公开编码“{code}”；泄密样本另有账号“{card}”"))
    return out


# ----------------------------------------------------------------------------- registered documents quoting public text
REGISTERED_ID = "adv-registered"
PUBLIC_FILES = ("law-0012", "law-0017", "law-0019", "law-0022")
UNITS = ("综合科", "执法二队", "规划股", "审批中心", "督查室", "财务组")


def _law_paragraphs() -> list[str]:
    out: list[str] = []
    for name in PUBLIC_FILES:
        text = (BASE_DIR / f"{name}.txt").read_text(encoding="utf-8")
        out.extend(ln.strip() for ln in text.splitlines() if 70 <= len(ln.strip()) <= 220)
    return out


def _internal_paragraph(rng: random.Random) -> str:
    return (f"经{rng.choice(UNITS)}排查，第{rng.randrange(2, 9)}片区共有{rng.randrange(11, 97)}处点位未按期整改，"
            f"其中{rng.randrange(2, 9)}处涉及{rng.choice(('地下管廊', '临时堆场', '旧厂房', '配电房'))}，"
            f"由{rng.choice(UNITS)}负责在{rng.randrange(1, 13)}月{rng.randrange(1, 29)}日前复核，"
            f"复核结果报{rng.choice(('分管领导', '主要负责同志', '专班'))}，编号{rng.randrange(10**5, 10**6)}。")


def registration(seed: int = 22) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    """(registered sources, public reference texts, [(law quote, internal paragraph)] per case): each internal
    document quotes a law paragraph between its own paragraphs."""
    rng = random.Random(seed)
    laws = _law_paragraphs()
    rng.shuffle(laws)
    sources: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for k in range(PER_KIND):
        own = [_internal_paragraph(rng) for _ in range(3)]
        quote = laws[k]
        sources[f"内部通报{k + 1:02d}.txt"] = "\n".join([own[0], "依据有关规定：", quote, own[1], own[2]]) + "\n"
        pairs.append((quote, own[1]))
    public = {f"{name}.txt": (BASE_DIR / f"{name}.txt").read_text(encoding="utf-8") for name in PUBLIC_FILES}
    return sources, public, pairs


def _public_quote(b: _Base) -> Built:
    """Clean: a public notice quoting the law passage that a registered document quotes too (must pass: the passage
    is public). Leak: the notice with a paragraph of the registered document's own text."""
    out: Built = []
    _, _, pairs = registration()
    for k, (quote, own) in enumerate(pairs):
        lines = b.excerpt(500)
        seed = b.rng.randrange(1 << 30)
        clean = _between(lines, random.Random(seed), "现将有关规定摘录如下：" + quote)
        leak = _between(clean, random.Random(seed + 1), own)
        if k % 3 == 2:
            out.append((_docx(leak), _docx(clean), ".docx", "Word：引用公开条文；泄密样本另抄登记文件的一段"))
        else:
            out.append((_doc(leak), _doc(clean), ".txt", "引用公开条文；泄密样本另抄登记文件的一段"))
    return out


CONTENT_KINDS = {
    "facility-coordinates": (_coordinates, ("facility-coordinates",), "scan-rules"),
    "split-marking": (_split_marking, ("classification-marking",), "scan-rules"),
    "quoted-marking": (_quoted_marking, ("classification-marking",), "scan-rules"),
    "id-cells": (_id_cells, ("id-card",), "extract"),
    "id-numerals": (_id_numerals, ("id-card-numerals",), "scan-rules"),
    "embedded-code": (_embedded_code, ("bank-card",), "scan-rules"),
    "public-quote": (_public_quote, (REGISTERED_ID,), "scan-rules"),
}
KINDS.update(CONTENT_KINDS)


def build_registration(directory: Path) -> Path:
    """Register the internal documents of the public-quote kind the way an officer does, through the CLI: a public
    reference list from the public texts (`fingerprints public build`), then `fingerprints build --public`. Returns
    the rule directory to scan with."""
    import contextlib
    import io

    from reviewer.cli import main

    sources, public, _ = registration()
    src, pub, rules = directory / "sources", directory / "public", directory / "rules"
    for folder, files in ((src, sources), (pub, public)):
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    listing = directory / "public.pub"
    with contextlib.redirect_stdout(io.StringIO()):
        if main(["fingerprints", "public", "build", "--out", str(listing), str(pub)]) != 0:
            raise RuntimeError("fingerprints public build failed")
        if main(["fingerprints", "build", "--id", REGISTERED_ID, "--public", str(listing), "--out", str(rules),
                 str(src)]) != 0:
            raise RuntimeError("fingerprints build failed")
    return rules

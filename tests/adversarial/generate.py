"""One deterministic generator of the adversarial corpus (issue 9): leaks planted in real public texts, each with a
clean counterpart built the same way from the same excerpt.

Base texts are the public documents copied into tests/data/corpus/ (laws and 政府工作报告, see its SOURCE.md); the terms
are this corpus's own fictional project codes (tests/adversarial/rules/), none of the issue's examples. Every case is
a document as the CMS would submit it: bytes plus a file name, scored with `reviewer scan --format json` (or
`reviewer.document.scan_document`). A leak is caught when the verdict is review or block and one of its expected rules
reports a counting finding; a clean case must come back `pass`.

    python -m tests.adversarial.generate OUTDIR      # writes every case and EXPECTED.json (expectations;
                                                      scan the directory with `reviewer scan --exclude EXPECTED.json`)
"""

from __future__ import annotations

import io
import json
import random
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from reviewer.scan.validators import uscc_check_char
from tests.adversarial.places import KINDS as PLACE_KINDS
from tests.scan.helpers import luhn_number as _luhn_complete

ROOT = Path(__file__).resolve().parents[2]
BASE_DIR = ROOT / "tests" / "data" / "corpus"
RULES_DIR = Path(__file__).resolve().parent / "rules"
BASE_FILES = ("law-0012", "law-0017", "law-0019", "law-0022", "law-0030", "law-0038", "law-0056", "law-0083",
              "gwr-0010", "gwr-0040", "gwr-0068", "gwr-0069")
SEED = 20261201
PER_KIND = 12  # leaks per kind (each with one clean counterpart)
TERM_RULE = "adv-project-codes"

CJK_TERMS = ("赤霄工程", "金盏工程", "曜石七号", "苍梧行动", "雁回行动", "云岫专项", "鸣镝专项", "龙门八号", "长风计划",
             "飞马九号", "澄湖九号")
LATIN_TERMS = ("KX-317", "TB-052", "HPE-634", "MC-2208")
# (term, word that jieba glues to the term's last characters: 工程|建设 → 工程建设)
GLUED = (("赤霄工程", "建设"), ("赤霄工程", "进度"), ("赤霄工程", "项目"), ("金盏工程", "施工"), ("金盏工程", "验收"),
         ("金盏工程", "建设"), ("苍梧行动", "计划"), ("雁回行动", "计划"), ("云岫专项", "资金"), ("鸣镝专项", "资金"),
         ("赤霄工程", "验收"), ("金盏工程", "项目"))
GLUE_FRAMES = ("各地要加快推进{t}，确保年底前全面完成。", "会议听取了{t}情况的汇报。", "{t}由市发展改革委牵头负责。",
               "（原稿：{t}安排另行印发）", "要统筹做好{t}工作，防范各类风险。", "目前{t}总体进展顺利。")

# ----------------------------------------------------------------------------- characters
INVISIBLE = ("\u00ad", "\u2062", "\u180e", "\u3164", "\u034f", "\u0301", "\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef",
             "\u2063", "\u115f")
BIDI_TAG = ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\U000e0041",
            "\U000e0020", "\U000e007f")
NOISE = ("\u2010", "\u22c5", "\uff65", "\u30fc", "\u2011", "\u2043", "\ufe63", "\u2027", "\u00b7", "\u2219", "\u2212",
         "\u02d7")
SUPPLEMENT = {"门": "\u2ed4", "长": "\u2ed3", "风": "\u2edb", "龙": "\u2ef0", "飞": "\u2edc", "马": "\u2ee2"}
GREEK = {"K": "\u039a", "X": "\u03a7", "T": "\u03a4", "B": "\u0392", "H": "\u0397", "P": "\u03a1", "E": "\u0395",
         "M": "\u039c", "C": "\u03f9"}
CYRILLIC = {"K": "\u041a", "X": "\u0425", "T": "\u0422", "B": "\u0412", "H": "\u041d", "P": "\u0420", "E": "\u0415",
            "M": "\u041c", "C": "\u0421"}


def kangxi() -> dict[str, str]:
    """Unified ideograph -> its Kangxi radical look-alike (U+2F00…, NFKC folds them back)."""
    out: dict[str, str] = {}
    for cp in range(0x2F00, 0x2FD6):
        out.setdefault(unicodedata.normalize("NFKC", chr(cp)), chr(cp))
    return out


def math_bold(ch: str) -> str:
    if ch.isdigit():
        return chr(0x1D7CE + int(ch))
    if "A" <= ch <= "Z":
        return chr(0x1D400 + ord(ch) - ord("A"))
    return ch


# ----------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    kind: str
    name: str  # file name inside the corpus directory
    data: bytes
    leak: bool
    expect: tuple[str, ...]  # for a leak: rules of which one must report a counting finding
    owner: str  # who makes this class pass: "scan-rules", "scan-core" or "extract"
    note: str  # what was planted (Chinese, for failure messages)


class _Base:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.texts = [(BASE_DIR / f"{name}.txt").read_text(encoding="utf-8") for name in BASE_FILES]

    def excerpt(self, size: int = 900) -> list[str]:
        """Consecutive non-blank lines of one base text, about `size` characters, starting at a line start."""
        text = self.rng.choice(self.texts)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        start = self.rng.randrange(max(1, len(lines) - 12))
        out: list[str] = []
        total = 0
        for ln in lines[start:]:
            out.append(ln)
            total += len(ln)
            if total >= size and len(out) >= 4:
                break
        while len(out) < 4:  # short base text: repeat from its start
            out.append(lines[len(out) % len(lines)])
        return out


def _inline(lines: list[str], rng: random.Random, planted: str) -> list[str]:
    """`planted` inside a paragraph, right after a sentence end (or at the end of a middle line)."""
    lines = list(lines)
    i = rng.randrange(1, len(lines) - 1)
    line = lines[i]
    stops = [k + 1 for k, ch in enumerate(line[:-1]) if ch in "。；"]
    at = rng.choice(stops) if stops else len(line)
    lines[i] = line[:at] + planted + line[at:]
    return lines


def _between(lines: list[str], rng: random.Random, planted: str) -> list[str]:
    lines = list(lines)
    lines.insert(rng.randrange(2, len(lines)), planted)
    return lines


def _doc(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _level(rng: random.Random) -> tuple[str, str]:
    level = rng.choice(("秘密", "机密", "绝密"))
    limit = {"秘密": 10, "机密": 20, "绝密": 30}[level]
    return level, rng.choice((f"{rng.randrange(1, limit + 1)}年", f"{rng.randrange(1, limit + 1)}年", "6个月", "长期"))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _is_luhn(v: str) -> bool:
    return v.isdigit() and _luhn_complete(v[:-1]) == v


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():  # fixed timestamps: the same corpus byte for byte on every run
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 5, 1, 9, 0, 0)), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _docx(paragraphs: list[str], footer: tuple[str, str] | None = None) -> bytes:
    """A minimal DOCX; `footer` = (text before the page number, text after it) puts a footer with a PAGE field."""
    from xml.sax.saxutils import escape

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    extra: dict[str, bytes] = {}
    if footer:
        before, after = footer
        run = '<w:r><w:t xml:space="preserve">{}</w:t></w:r>'
        extra["word/footer1.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><w:ftr xmlns:w="{w}"><w:p>{run.format(escape(before))}'
            '<w:r><w:tab/></w:r><w:r><w:t xml:space="preserve">第 </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
            '</w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
            f'{run.format(escape(after))}</w:p></w:ftr>').encode()
    return _zip({**extra,
        "[Content_Types].xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'wordprocessingml.document.main+xml"/></Types>'),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'),
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}"><w:body>{body}'
                             "</w:body></w:document>".encode(),
    })


def _xlsx(rows: list[list[str]], header: str, footer: str) -> bytes:
    from xml.sax.saxutils import escape

    s = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    cells = "".join(
        f'<row r="{i + 1}">' + "".join(
            f'<c r="{chr(65 + j)}{i + 1}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for j, v in enumerate(row)
        ) + "</row>" for i, row in enumerate(rows)
    )
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{s}"><sheetData>{cells}</sheetData>'
             f"<headerFooter><oddHeader>{escape(header)}</oddHeader><oddFooter>{escape(footer)}</oddFooter>"
             "</headerFooter></worksheet>")
    return _zip({
        "[Content_Types].xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{s}" xmlns:r="{r}"><sheets>'
                            '<sheet name="统计表" sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet.encode(),
    })


# ----------------------------------------------------------------------------- kinds
def _jieba_glued(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    for k, (term, glue) in enumerate(GLUED[:PER_KIND]):
        frame = GLUE_FRAMES[k % len(GLUE_FRAMES)]
        lines = b.excerpt()
        leak = _inline(lines, random.Random(k), frame.format(t=term + glue))
        clean = _inline(lines, random.Random(k), frame.format(t="重点" + glue))
        out.append((_doc(leak), _doc(clean), ".txt", f"“{term}”紧接“{glue}”"))
    return out


INLINE_LEAKS = ("以上数据仅限本系统掌握，严禁外传。", "（本材料系内部资料，请勿外传）", "（此件不公开）",
                "本通报为内部文件，不得外传。", "相关名单请注意保存，切勿外传。", "以下内容仅供内部参考。",
                "会议材料阅后收回。", "本件不予公开，", "该报告属内部资料，", "请各单位注意保存。", "此件不予公开。",
                "名单不准外传，", "以上情况禁止外传。", "本册仅限内部使用，")
INLINE_CLEAN = ("依照内部资料性出版物管理规定办理。", "（此件主动公开）", "请当事人注意保存相关凭证。",
                "各单位要妥善保管档案材料。", "对不予公开的，应当告知申请人并说明理由。", "内部刊物和内部资料的管理办法另行制定。",
                "加强内部管理，", "不得对外公布未经核实的信息。", "（此件依申请公开）", "注意保存好原始票据。",
                "完善内部资料管理制度，", "防止传染病传入和传出。", "请妥善保存本通知。", "严禁外包转包。")


def _inline_marking(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    for k in range(PER_KIND):
        lines = b.excerpt()
        seed = b.rng.randrange(1 << 30)
        planted, near_miss = INLINE_LEAKS[k % len(INLINE_LEAKS)], INLINE_CLEAN[k % len(INLINE_CLEAN)]
        if k % 4 == 2:  # an HTML page: the instruction left in a comment of the editor's draft
            def page(extra: str) -> bytes:
                body = "".join(f"<p>{ln}</p>" for ln in lines)
                return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>通知</title></head><body>{body}"
                        f"<!-- 原稿：{extra} --></body></html>").encode()
            out.append((page(planted), page(near_miss), ".html", f"HTML 注释中的“{planted}”"))
            continue
        leak = _inline(lines, random.Random(seed), planted)
        clean = _inline(lines, random.Random(seed), near_miss)
        if k % 4 == 3:  # a Word document
            out.append((_docx(leak), _docx(clean), ".docx", f"Word 正文中插入“{planted}”"))
            continue
        out.append((_doc(leak), _doc(clean), ".txt", f"正文中插入“{planted}”"))
    return out


STAR_LOOKALIKES = ("*", "＊", "✱", "✲", "✳", "﹡", "⁎", "∗", "☆", "✩", "⭑", "✶", "✻", "❋")


def _marking_variant(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt()
        form = k % 7
        level, period = _level(rng)
        star = STAR_LOOKALIKES[k % len(STAR_LOOKALIKES)]
        if form == 0:  # star look-alike on the head line
            leak, clean = [f"{level}{star}{period}", *lines], ["保密期限：绝密30年、机密20年、秘密10年", *lines]
            note = f"文首“{level}{star}{period}”"
        elif form == 1:  # star look-alike mid-paragraph
            seed = rng.randrange(1 << 30)
            leak = _inline(lines, random.Random(seed), f"（本段{level}{star}{period}）")
            clean = _inline(lines, random.Random(seed), f"（本段{level}级事项已按规定定密）")
            note = f"正文中“{level}{star}{period}”"
        elif form == 2:  # labelled copy number at the head
            number = _digits(rng, 6)
            label = rng.choice((f"份号：{number}", f"份号:{number}", f"No.{number}", f"NO. {number}", "份号："))
            leak, clean = [label, *lines], [f"编号：{rng.randrange(1, 99)}", *lines]
            note = f"文首“{label}”"
        elif form == 3:  # a marking sharing its footer line with a page number or a tab
            p = rng.randrange(1, 30)
            foot = rng.choice((f"内部资料\t第 {p} 页", f"内部资料　　第{p}页/共{p + 3}页", f"- {p} -\t内部资料",
                               f"工作秘密\t第 {p} 页", f"内部资料 注意保存　{p}"))
            leak = _between(lines, random.Random(p), foot)
            clean = _between(lines, random.Random(p), f"第 {p} 页 共 {p + 3} 页")
            note = f"页脚“{foot}”"
        elif form == 4:  # XLSX header/footer codes
            rows = [[ln[:30]] for ln in lines[:4]]
            header = rng.choice(("&L内部资料　注意保存&R第 &P 页", "&C&\"宋体,加粗\"内部资料&R&P/&N",
                                 "&L工作秘密　注意保管&R&D"))
            leak_x = _xlsx(rows, header, "&C第 &P 页，共 &N 页")
            clean_x = _xlsx(rows, "&L统计表&R第 &P 页", "&C第 &P 页，共 &N 页")
            out.append((leak_x, clean_x, ".xlsx", f"Excel 页眉“{header}”"))
            continue
        elif form == 6:  # a DOCX footer: the marking, a tab and a PAGE field
            mark = rng.choice(("内部资料", "工作秘密", "内部资料　注意保存", "秘密"))
            out.append((_docx(lines, (mark, " 页")), _docx(lines, ("某某市人民政府办公室", " 页")), ".docx",
                        f"Word 页脚“{mark}⇥第 PAGE 页”"))
            continue
        else:  # 工作秘密 with 注意保管 / 内部资料 with 注意保存 at the head, full-width space
            head = rng.choice(("工作秘密　注意保管", "内部资料　注意保存", "内部资料　请勿外传", "工作秘密　内部资料"))
            leak, clean = [head, *lines], ["信息公开　依申请公开", *lines]
            note = f"文首“{head}”"
        out.append((_doc(leak), _doc(clean), ".txt", note))
    return out


CITIES = (("鞍山市", "铁东区", "胜利路"), ("本溪市", "平山区", "新华街"), ("锦州市", "古塔区", "中央大街"),
          ("吉林市", "船营区", "北京路"), ("营口市", "西市区", "渤海大街"), ("丹东市", "振兴区", "锦山大街"))
NAMES = ("张某", "李某某", "王某", "赵某", "刘某某", "陈某")


def _pii(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt()
        name = rng.choice(NAMES)
        fmt = k % 6
        number = {0: "E" + _digits(rng, 8), 1: "E" + rng.choice("ABCDFHJKLMNPRSTUWXY") + _digits(rng, 7),
                  2: "G" + _digits(rng, 8), 3: "SE" + _digits(rng, 7), 4: "C" + _digits(rng, 8),
                  5: "E" + _digits(rng, 8)}[fmt]
        frame = ("{n}，护照号码{p}，随团出访。", "持普通护照（{p}）的{n}", "{n}（证件号码：{p}，护照）",
                 "{n}的公务护照号{p}", "{n}往来港澳通行证号码{p}", "姓名：{n}　护照：{p}")[fmt]
        masked = number[:5] + "*" * (len(number) - 5)
        seed = rng.randrange(1 << 30)
        if k % 3 == 2:  # a personnel list in a spreadsheet: the context word only in the header row
            def sheet(value: str) -> bytes:
                rows = [["出访人员名单"], ["序号", "姓名", "职务", "护照号码"]]
                rows += [[str(n), NAMES[n % len(NAMES)], "工作人员", "见附件"] for n in range(1, 5)]
                rows += [["5", name, "工作人员", value], [lines[0][:30]]]
                return _xlsx(rows, "", "")
            out.append((sheet(number), sheet(masked), ".xlsx", f"Excel 名单第6行的护照号码“{number}”"))
            continue
        leak = _inline(lines, random.Random(seed), frame.format(n=name, p=number))
        clean = _inline(lines, random.Random(seed), (frame.format(n=name, p=masked) if k % 2 else
                                                     f"{name}，设备型号{number}，随团出访。"))
        out.append((_doc(leak), _doc(clean), ".txt", f"护照号码“{number}”"))
    return out


def _address(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        lines = b.excerpt()
        city, district, road = rng.choice(CITIES)
        name = rng.choice(NAMES)
        n, u, room = rng.randrange(1, 300), rng.randrange(1, 7), rng.choice((301, 502, 1102, 1903, 602))
        form = k % 4
        addr = (f"{city}{district}{road}{n}号{u}单元{room}室", f"{city}{district}{road}{n}号楼{u}单元{room}",
                f"{city}{district}{road}{n}号{u}-{room}", f"某县某镇东风村{u}组")[form]
        label = ("家庭住址：", "住址：", "现住", "家住")[k % 4]
        seed = rng.randrange(1 << 30)
        if k % 6 == 5:  # a spreadsheet list: the label only in the header row, the address several rows below
            def sheet(value: str) -> bytes:
                rows = [["廉租住房补贴发放名单"], ["序号", "户主", "家庭人口", "家庭地址"]]
                rows += [[str(n), NAMES[n % len(NAMES)], "3", "见附件"] for n in range(1, 4)]
                rows += [["4", name, "2", value], [lines[0][:30]]]
                return _xlsx(rows, "", "")
            unit = f"{city}{district}{road}{n}号{u}单元{room}室"
            out.append((sheet(unit), sheet(f"{city}{district}某街道"), ".xlsx", f"Excel 名单中的住宅门牌“{unit}”"))
            continue
        leak = _inline(lines, random.Random(seed), f"当事人{name}，{label}{addr}。")
        clean_addr = (f"办公地址：{city}{district}{road}{n}号。" if k % 2 else f"当事人{name}，{label}{city}{district}某街道。")
        clean = _inline(lines, random.Random(seed), clean_addr)
        out.append((_doc(leak), _doc(clean), ".txt", f"{label}{addr}"))
    return out


def _credit_code_vs_card(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    """Clean: a 机关's digit-only 统一社会信用代码 that happens to pass Luhn, after its label (the false positive of
    issue 9). Leak: a bank card number after 账号 (must still block)."""
    out = []
    rng = b.rng
    while len(out) < PER_KIND:
        first17 = "11" + rng.choice(("210000", "210100", "210200", "220100", "320500")) + _digits(rng, 9)
        code = first17 + uscc_check_char(first17)
        if not _is_luhn(code):
            continue
        card = _luhn_complete("62" + _digits(rng, 16 if len(out) % 2 else 14))
        lines = b.excerpt()
        seed = rng.randrange(1 << 30)
        clean = _inline(lines, random.Random(seed), f"某市人民政府办公室（统一社会信用代码：{code}）")
        leak = _inline(lines, random.Random(seed), f"请汇入某市人民政府办公室账户，开户行：某银行，账号：{card}")
        out.append((_doc(leak), _doc(clean), ".txt", f"银行卡号“{card}”；干净样本是信用代码 {code}"))
    return out


def _spread(term: str, fillers: tuple[str, ...], rng: random.Random) -> str:
    chars = list(term)
    return chars[0] + "".join(rng.choice(fillers) + ch for ch in chars[1:])


def _clean_phrase(rng: random.Random) -> str:
    return rng.choice(("重点项目", "民生工程", "专项行动", "年度计划", "改革任务"))


def _invisible(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        ch = INVISIBLE[k % len(INVISIBLE)]
        term = CJK_TERMS[k % len(CJK_TERMS)]
        lines = b.excerpt()
        seed = rng.randrange(1 << 30)
        hidden = _spread(term, (ch,), rng)
        leak = _inline(lines, random.Random(seed), f"全面推进{hidden}，")
        clean = _inline(lines, random.Random(seed), f"全面推进{_spread(_clean_phrase(rng), (ch,), rng)}，")
        out.append((_doc(leak), _doc(clean), ".txt", f"“{term}”各字间夹 U+{ord(ch):04X}"))
    return out


def _bidi_tag(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        ch = BIDI_TAG[k % len(BIDI_TAG)]
        term = CJK_TERMS[(k + 3) % len(CJK_TERMS)]
        lines = b.excerpt()
        seed = rng.randrange(1 << 30)
        leak = _inline(lines, random.Random(seed), f"全面推进{_spread(term, (ch,), rng)}，")
        clean = _inline(lines, random.Random(seed), f"全面推进{term[:2]}精神，")  # no control character, no term
        out.append((_doc(leak), _doc(clean), ".txt", f"“{term}”各字间夹 U+{ord(ch):04X}"))
    return out


def _confusable(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    kx = kangxi()
    radical_terms = [t for t in CJK_TERMS if any(c in kx or c in SUPPLEMENT for c in t)]
    for k in range(PER_KIND):
        lines = b.excerpt()
        seed = rng.randrange(1 << 30)
        if k % 2 == 0:
            term = radical_terms[(k // 2) % len(radical_terms)]
            table = SUPPLEMENT if any(c in SUPPLEMENT for c in term) and k % 4 == 0 else kx
            shown = "".join(table.get(c, kx.get(c, c)) for c in term)
            clean_shown = "".join(kx.get(c, c) for c in "重点工作")
        else:
            term = LATIN_TERMS[(k // 2) % len(LATIN_TERMS)]
            style = (k // 2) % 3
            table2 = (GREEK, CYRILLIC, {})[style]
            shown = "".join(table2.get(c, math_bold(c) if style == 2 else c) for c in term)
            clean_shown = "".join(table2.get(c, math_bold(c) if style == 2 else c) for c in "ZW-990")
        assert shown != term
        leak = _inline(lines, random.Random(seed), f"（项目代号：{shown}）")
        clean = _inline(lines, random.Random(seed), f"（项目代号：{clean_shown}）")
        out.append((_doc(leak), _doc(clean), ".txt", f"“{term}”写作“{shown}”"))
    return out


def _noise_separators(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        sep = NOISE[k % len(NOISE)]
        term = CJK_TERMS[(k + 5) % len(CJK_TERMS)]
        lines = b.excerpt()
        seed = rng.randrange(1 << 30)
        leak = _inline(lines, random.Random(seed), f"推进{_spread(term, (sep,), rng)}，")
        clean = _inline(lines, random.Random(seed), f"推进{_spread(_clean_phrase(rng), (sep,), rng)}，")
        out.append((_doc(leak), _doc(clean), ".txt", f"“{term}”各字间夹 U+{ord(sep):04X}"))
    return out


def _js_escape(text: str) -> str:
    return "".join(ch if ch.isascii() else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else ch for ch in text)


def _script_escapes(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    for k in range(PER_KIND):
        term = CJK_TERMS[k % len(CJK_TERMS)]
        lines = b.excerpt(500)
        body = "".join(f"<p>{ln}</p>" for ln in lines)
        if k % 2 == 0:
            def html(value: str) -> bytes:
                return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>通知</title></head><body>{body}"
                        f"<script>var meta = {{\"project\": \"{_js_escape(value)}\"}};</script></body></html>").encode()
            leak, clean, ext = html(term + "进展情况"), html("年度重点工作进展情况"), ".html"
        else:
            def js(value: str) -> bytes:
                return json.dumps({"title": lines[0][:20], "body": lines[1:3], "project": value},
                                  ensure_ascii=True).encode()
            leak, clean, ext = js(term + "材料"), js("重点工作材料"), ".json"
        assert term.encode() not in leak
        out.append((leak, clean, ext, f"“{term}”只以 \\uXXXX 转义出现"))
    return out


def _big5(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    import opencc

    s2t = opencc.OpenCC("s2t")
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        term = CJK_TERMS[k % len(CJK_TERMS)]
        lines = b.excerpt(600)
        seed = rng.randrange(1 << 30)

        def enc(ls: list[str]) -> bytes:
            text = s2t.convert("\n".join(ls) + "\n")
            return "".join(ch for ch in text if _big5_ok(ch)).encode("big5")

        leak = enc(_inline(lines, random.Random(seed), f"全面推進{term}。"))
        clean = enc(_inline(lines, random.Random(seed), "全面推進重點工作。"))
        out.append((leak, clean, ".txt", f"Big5 文本中的“{term}”"))
    return out


def _big5_ok(ch: str) -> bool:
    try:
        ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


def _utf16le(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        term = (CJK_TERMS + LATIN_TERMS)[k % (len(CJK_TERMS) + len(LATIN_TERMS))]
        lines = b.excerpt(600)
        seed = rng.randrange(1 << 30)
        leak = ("\r\n".join(_inline(lines, random.Random(seed), f"加快推进{term}。")) + "\r\n").encode("utf-16-le")
        clean = ("\r\n".join(_inline(lines, random.Random(seed), "加快推进重点工作。")) + "\r\n").encode("utf-16-le")
        out.append((leak, clean, ".txt", f"UTF-16LE（无 BOM）文本中的“{term}”"))
    return out


def _archives(b: _Base) -> list[tuple[bytes, bytes, str, str]]:
    out = []
    rng = b.rng
    for k in range(PER_KIND):
        term = CJK_TERMS[k % len(CJK_TERMS)]
        a, c, d = b.excerpt(400), b.excerpt(400), b.excerpt(400)
        seed = rng.randrange(1 << 30)
        where = k % 3

        def build(planted: str) -> bytes:
            pa = _inline(a, random.Random(seed), planted) if where == 0 else a
            pc = _inline(c, random.Random(seed), planted) if where == 1 else c
            pd = _inline(d, random.Random(seed), planted) if where == 2 else d
            inner = _zip({"细则/说明.txt": "\n".join(pd).encode("utf-8")})
            return _zip({
                "通知.txt": "\n".join(pa).encode("utf-8"),
                "材料/报告.docx": _docx(pc),
                "附件/补充材料.zip": _zip({"清单.txt": "名单见附件。\n".encode(), "再打包.zip": inner}),
            })

        leak, clean = build(f"推进{term}。"), build("推进重点工作。")
        assert term.encode() not in leak
        out.append((leak, clean, ".zip", f"压缩包第{where + 1}个成员（含嵌套）中的“{term}”"))
    return out


# kind -> (builder, expected rules for a leak, owner)
KINDS = {
    "jieba-glued": (_jieba_glued, (TERM_RULE,), "scan-core"),
    "inline-marking": (_inline_marking, ("no-dissemination", "not-for-release", "internal-marking"), "scan-rules"),
    "marking-variant": (_marking_variant, ("classification-marking", "copy-number", "internal-marking",
                                           "work-secret-marking", "no-dissemination"), "scan-rules"),
    "passport": (_pii, ("passport",), "scan-rules"),
    "home-address": (_address, ("home-address", "residential-address"), "scan-rules"),
    "credit-code-vs-card": (_credit_code_vs_card, ("bank-card",), "scan-rules"),
    "invisible": (_invisible, (TERM_RULE,), "scan-core"),
    "bidi-tag": (_bidi_tag, (TERM_RULE,), "scan-core"),
    "confusable": (_confusable, (TERM_RULE,), "scan-core"),
    "noise-separator": (_noise_separators, (TERM_RULE,), "scan-core"),
    "script-escape": (_script_escapes, (TERM_RULE,), "extract"),
    "big5": (_big5, (TERM_RULE,), "extract"),
    "utf16le-no-bom": (_utf16le, (TERM_RULE,), "extract"),
    "zip-archive": (_archives, (TERM_RULE,), "extract"),
}
KINDS.update(PLACE_KINDS)  # issue 22: PDF revisions, package structure, picture metadata, links (places.py)


if __name__ != "__main__":  # run as a script, the module below imports this file under its real name
    import tests.adversarial.content_kinds  # noqa: F401 - issue 22 kinds: they use the helpers above, add themselves to KINDS


def build_cases(seed: int = SEED) -> list[Case]:
    cases: list[Case] = []
    for n, (kind, (builder, expect, owner)) in enumerate(KINDS.items()):
        base = _Base(random.Random(seed * 1000 + n))
        for i, (leak, clean, ext, note) in enumerate(builder(base)):
            cases.append(Case(kind, f"{kind}-{i:02d}-leak{ext}", leak, True, expect, owner, note))
            cases.append(Case(kind, f"{kind}-{i:02d}-clean{ext}", clean, False, (), owner, note))
    return cases


def write_corpus(directory: Path, cases: list[Case] | None = None) -> list[Case]:
    cases = build_cases() if cases is None else cases
    directory.mkdir(parents=True, exist_ok=True)
    for case in cases:
        (directory / case.name).write_bytes(case.data)
    manifest = [{"file": c.name, "kind": c.kind, "leak": c.leak, "expect": list(c.expect), "owner": c.owner,
                 "note": c.note} for c in cases]
    (directory / "EXPECTED.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return cases


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 2:
        sys.exit("用法：python -m tests.adversarial.generate 输出目录")
    from tests.adversarial import generate as module  # the same code with every kind registered

    written = module.write_corpus(Path(sys.argv[1]))
    print(f"已生成 {len(written)} 个样本（{sum(c.leak for c in written)} 个泄密样本）到 {sys.argv[1]}")

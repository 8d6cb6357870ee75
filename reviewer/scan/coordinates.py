"""Precise coordinates of a facility (rule `facility-coordinates`): the match-level validator reads the coordinate
(degrees-minutes-seconds, decimal degrees, 北纬…度…分…秒, N/E prefixes or suffixes) and checks ranges and precision;
the sentence-level check decides whether the sentence describes a military, security, storage, communications or
surveying facility (测绘成果 and 军事设施 coordinates are protected) or a public place in a public bulletin (a city, an
earthquake's epicentre, a scenic spot), which passes.

Both read the folded text (full-width digits are ASCII already); the rule's regex finds the candidates."""

from __future__ import annotations

import re

_CN = "零〇一二三四五六七八九"
_DEG = r"(?:[°˚o]|度)"
_MIN = r"(?:['′’]|分)"
_SEC = r"(?:\"|″|”|′′|''|’’|秒)"
_COMPONENT = re.compile(
    r"(?P<pre>北纬|南纬|东经|西经|纬度|经度|[\"']?(?:latitude|longitude|lat|lng|lon)[\"']?[ ]?[:=]|[NSEWnsew])?[ ]?[:：]?[ ]?"
    r"(?:(?P<d>\d{1,3})[ ]?" + _DEG + r"[ ]?(?P<m>\d{1,2}(?:\.\d+)?)[ ]?" + _MIN
    + r"(?:[ ]?(?P<s>\d{1,2}(?:\.\d+)?)[ ]?" + _SEC + r")?"
    r"|(?P<dec>\d{1,3}\.\d+)[ ]?(?P<decdeg>" + _DEG + r")?"
    r"|(?P<cd>[" + _CN + r"十百]{1,6})度(?P<cm>[" + _CN + r"十]{1,3})分(?:(?P<cs>[" + _CN + r"十点]{1,6})秒)?)"
    r"(?:[ ]?(?P<post>[NSEWnsew])(?![A-Za-z]))?"
)


def _cn_number(text: str) -> float:
    """Chinese numerals up to 180 (一百一十六, 三十九, 五十四点五)."""
    whole, _, frac = text.partition("点")
    values = {c: max(0, i - 1) for i, c in enumerate(_CN)}  # 零 and 〇 are 0
    total, current = 0, 0
    if all(c in values for c in whole):  # digit by digit (一一六)
        total = int("".join(str(values[c]) for c in whole) or "0")
    else:
        for c in whole:
            if c in values:
                current = values[c]
            elif c == "百":
                total += (current or 1) * 100
                current = 0
            elif c == "十":
                total += (current or 1) * 10
                current = 0
        total += current
    if frac:
        return float(f"{total}.{''.join(str(values.get(c, 0)) for c in frac)}")
    return float(total)


def coordinate(value: str) -> tuple[bool, str]:
    """Is `value` a precise geographic coordinate? Minutes (DMS) or at least two decimals (decimal degrees), degrees
    within range (latitude ≤ 90, longitude ≤ 180), minutes and seconds below 60. Bare decimal numbers need a
    hemisphere (北纬, N …) or a degree sign, or must come as a pair with four decimals each (39.9075, 116.3972)."""
    parts = [m for m in _COMPONENT.finditer(value) if m.group().strip()]
    if not parts:
        return False, "不是坐标格式"
    described: list[str] = []
    for m in parts:
        hemi = (m["pre"] or m["post"] or "").strip("\"' :=").upper()
        hemi = {"LAT": "N", "LATITUDE": "N", "LNG": "E", "LON": "E", "LONGITUDE": "E"}.get(hemi, hemi)
        if m["d"] is not None:
            deg, minutes, sec = float(m["d"]), float(m["m"]), float(m["s"] or 0)
            form = "度分秒" if m["s"] else "度分"
        elif m["cd"] is not None:
            deg, minutes, sec = _cn_number(m["cd"]), _cn_number(m["cm"]), _cn_number(m["cs"] or "零")
            form = "汉字度分秒"
        else:
            decimals = len(m["dec"].partition(".")[2])
            if decimals < 2:
                return False, "十进制度数少于两位小数，不是精确坐标"
            if not (hemi or m["decdeg"]) and (len(parts) < 2 or decimals < 4):
                return False, "没有纬度/经度标记的单个小数，不按坐标处理"
            deg, minutes, sec = float(m["dec"]), 0.0, 0.0
            form = "十进制度"
        if minutes >= 60 or sec >= 60:
            return False, "分或秒不小于60，不是坐标"
        latitude = hemi in ("北纬", "南纬", "纬度", "N", "S")
        if deg > (90 if latitude else 180):
            return False, "度数超出纬度/经度范围"
        described.append(form)
    return True, f"精确坐标（{'、'.join(dict.fromkeys(described))}）"


# Words that name a military, security, storage, communications or surveying facility (测绘成果 are protected too).
FACILITY = (
    "军事", "军用", "部队", "军队", "驻军", "营区", "营房", "兵营", "阵地", "哨所", "哨位", "雷达", "导弹", "发射场",
    "发射井", "发射架", "靶场", "演习场", "训练场", "机库", "弹药", "武器", "装备库", "军港", "军械", "指挥所", "战备",
    "人防工程", "防空洞", "坑道", "洞库", "掩体", "武警", "民兵", "国防", "军工", "监狱", "看守所", "拘留所", "戒毒所",
    "国家安全", "安全机关", "保密", "涉密", "机要", "要害部位", "警戒区", "禁区", "核设施", "核材料", "反应堆", "油库",
    "储油", "储气", "储备库", "物资库", "仓库", "库房", "粮库", "危险品", "危化品", "炸药", "爆炸物", "民爆", "通信",
    "通讯", "基站", "机房", "数据中心", "电台", "发射台", "微波站", "地面站", "光缆", "交换中心", "指挥中心", "信号塔",
    "变电站", "中继站", "转信台", "接收站", "导航台", "塔台", "军营", "兵站", "军火", "边防", "海防", "防空", "金库",
    "控制点", "测量标志", "基准站", "测绘成果", "三角点", "水准点", "卫星站", "观通站", "干扰站", "监听",
)
# Public places of public bulletins: a coordinate there is published on purpose (地震速报, 景区介绍, 城市概况).
PUBLIC = (
    "震中", "地震", "震级", "余震", "震源", "景区", "景点", "风景", "旅游", "游客", "公园", "市中心", "城区", "县城",
    "市区", "省会", "首都", "台风", "气象", "海域", "水域", "休渔", "航道", "渔区", "地理位置", "地处", "国土面积",
)
_FACILITY = re.compile("|".join(sorted(FACILITY, key=len, reverse=True)))
_PUBLIC = re.compile("|".join(sorted(PUBLIC, key=len, reverse=True)))
_SENTENCE_END = "。！？!?；;\n"
SENTENCE_CAP = 200  # characters read on each side of the coordinate
_REFERS = re.compile(r"[ \t]*(?:其|该|此|上述|以上|位置|坐标|地址|具体位置|经纬度)")
_PRONOUN = re.compile(r"其|该|此处|上述")
_CJK = re.compile(r"[\u4e00-\u9fff]")
CELL_WORDS = 4  # Chinese characters beside a coordinate on its line up to which it is read as a cell of a row
CELL_LINES = 2  # lines before such a cell that are read as the rest of its row (extractors put cells on lines)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    lo = max(0, start - SENTENCE_CAP)
    a = max(text.rfind(ch, lo, start) for ch in _SENTENCE_END) + 1
    a = max(a, lo)
    hi = min(len(text), end + SENTENCE_CAP)
    ends = [i for ch in _SENTENCE_END if (i := text.find(ch, end, hi)) >= 0]
    return a, (min(ends) if ends else hi)


def _nearest(pattern: re.Pattern[str], text: str, a: int, b: int, start: int, end: int) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    for m in pattern.finditer(text, a, b):
        distance = start - m.end() if m.end() <= start else max(0, m.start() - end)
        if best is None or distance < best[0]:
            best = (distance, m.group())
    return best


def facility_sentence(text: str, start: int, end: int) -> tuple[bool, str]:
    """Does the sentence around text[start:end] describe a facility? (A sentence that begins with 其/该/坐标 also
    reads the sentence before it.) A public-place word nearer to the coordinate than any facility word passes."""
    a, b = _sentence(text, start, end)
    if a > 0 and not _FACILITY.search(text, a, b):
        if _REFERS.match(text, a) or _PRONOUN.search(text, a, start):
            a = _sentence(text, a - 1, a - 1)[0]
        elif len(_CJK.findall(text, a, start)) + len(_CJK.findall(text, end, b)) <= CELL_WORDS:
            # the coordinate stands (almost) alone: a table cell or a list column; its row names the place
            for _ in range(CELL_LINES):
                if a == 0:
                    break
                a = text.rfind("\n", 0, a - 1) + 1
    facility = _nearest(_FACILITY, text, a, b, start, end)
    if facility is None:
        return False, "所在句子不描述军事、安全、仓储、通信或测绘设施"
    public = _nearest(_PUBLIC, text, a, b, start, end)
    if public is not None and public[0] < facility[0]:
        return False, f"所在句子描述公开地点（“{public[1]}”），不是设施"
    return True, f"所在句子描述设施（“{facility[1]}”）"

"""The per-document fast paths (issue 19) change what costs time, never what is found.

`Prefilter.find` compares keys where their anchor starts (an automaton only for anchors shared by many keys), looks a
short text up place by place, and one-character keys are found by str.find. Each is checked here against one
Aho-Corasick walk of the whole text (the plain way): the same hits in the same order, and the same findings for a
document in which each family of rules occurs alone, short (the place-by-place path) and inside a long text (the
numpy path)."""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path

import ahocorasick
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.cli import main
from reviewer.ruleset.loader import RuleSet, load_rules
from reviewer.scan import fingerprints as fp
from reviewer.scan import markings
from reviewer.scan.normalize import Stream, fold_map, fold_table
from reviewer.scan.prefilter import GROUP, SHORT, Prefilter, anchor_hash
from reviewer.scan.scanner import Scanner
from reviewer.settings import BUILTIN_RULES_DIR
from tests.scan.helpers import id_number, luhn_number

ORG_RULES = Path(__file__).resolve().parents[2] / "examples" / "org-rules"
PUBLIC = Path(__file__).resolve().parents[1] / "data" / "public-gov"


def walk(keys: list[str], text: str) -> list[tuple[int, int]]:
    """The reference: every occurrence of every key, as one automaton walk of the whole text reports it."""
    automaton = ahocorasick.Automaton()
    for i, key in enumerate(keys):
        automaton.add_word(key, i)
    if not keys:
        return []
    automaton.make_automaton()
    return list(automaton.iter(text))


class WholeWalk(Prefilter):
    """A prefilter that finds by walking the whole text with one automaton (the reference for the scanner)."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(keys)
        self._all = list(keys)

    def find(self, clean: str, codes: object = None) -> tuple[list[tuple[int, int]], int, int]:
        return walk(self._all, clean), len(clean), 1


class ReferenceScanner(Scanner):
    """The same rules with the fast paths replaced by whole-text automaton walks, and numbers looked for by the plain
    run steps at every group of digits (no group passed over)."""

    def _build_automata(self) -> None:
        super()._build_automata()
        self._singles = None  # one-character keys: the small automaton over everything
        self._prefilter = WholeWalk([self._key_text[kid] for kid in self._big_ids])

    def __init__(self, ruleset: RuleSet) -> None:
        super().__init__(ruleset)
        self._gates = {i: [None] * len(gates) for i, gates in self._gates.items()}  # every pattern tried on every window

    def _digit_hits(self, stream: Stream, out: list) -> None:  # type: ignore[type-arg]
        digits, folded, seen = stream.digits, stream.folded, set()  # type: ignore[var-annotated]
        pos = last_end = 0
        probe = b"0" * min(4, self._min_digits)
        while (pos := digits.find(probe, pos)) >= 0:
            while pos > last_end and digits[pos - 1] in b"0_":
                pos -= 1
            m = re.compile(rb"[0_]*0").match(digits, pos)
            assert m is not None
            run_end = last_end = m.end()
            count = digits.count(b"0", pos, run_end)
            if count >= self._min_digits:
                for i in self._digit_rules:
                    if count >= self._rules[i].min_digits:  # type: ignore[union-attr]
                        self._pattern_hits(i, folded, max(0, pos - 24), min(len(folded), run_end + 24), out, (pos, run_end),
                                           seen)
            pos = run_end


    def _numeral_hits(self, stream: Stream, out: list) -> None:  # type: ignore[type-arg]
        for i in self._numeral_rules:  # `anchor: numerals` patterns tried on the whole text, as `anchor: text` did
            self._pattern_hits(i, stream.folded, 0, len(stream.folded), out, None)


# ------------------------------------------------------------------ the prefilter against the automaton
SHARED = "青鸾四号"  # more than GROUP keys share this anchor: their places go to the automaton
KEYS = ["机密", "有机", "机密封", "内部资料", "内部", "ab", "bc", "abcd", "abc", "𠀀𠀁", "𠀁x", "\x00a", "号工"] + [
    SHARED + tail for tail in ("工程", "工程建设", "专项", "计划", "任务", "一期", "二期", "三期", "四期", "甲", "乙")
] + ["玄鸟" + tail for tail in ("工程", "计划", "任务")]  # a group within GROUP: compared
ALPHABET = sorted(set("".join(KEYS)) | set("。 ，z"))


def test_the_key_list_exercises_both_ways() -> None:
    anchors: dict[str, int] = {}
    for key in KEYS:
        anchors[key[:4]] = anchors.get(key[:4], 0) + 1
    assert max(anchors.values()) > GROUP and sorted(anchors.values())[-2] <= GROUP


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET + KEYS), max_size=120))
def test_find_is_an_automaton_walk(parts: list[str]) -> None:
    text = "".join(parts)
    pre = Prefilter(KEYS)
    hits, read, calls = pre.find(text)
    assert hits == walk(KEYS, text)
    assert read >= 0 and calls >= 0


@pytest.mark.parametrize("length", [0, 1, 2, SHORT - 1, SHORT, SHORT + 1, 5000])
def test_find_on_both_sides_of_the_short_path(length: int) -> None:
    rnd = random.Random(length)
    pieces = [rnd.choice(ALPHABET + KEYS) for _ in range(length)]
    text = "".join(pieces)[:length]
    text = text + SHARED + "工程建设" if length > 10 else text  # a key that ends the text (padding)
    assert Prefilter(KEYS).find(text)[0] == walk(KEYS, text)


def test_shared_anchor_costs_a_walk_not_a_comparison_per_key() -> None:
    """Thousands of names that begin alike (a unit's list): a place costs one short walk, not one comparison per name."""
    text = ("某某市公安局召开会议，" * 400)
    few = Prefilter(["某某市公" + f"{i:03d}" for i in range(20)])
    many = Prefilter(["某某市公" + f"{i:04d}" for i in range(3000)])
    assert few.find(text)[0] == many.find(text)[0] == []
    assert many.find(text)[1] <= 2 * few.find(text)[1] + 100


# ------------------------------------------------------------------ the scanner against the reference
def _fingerprint_rule(tmp: Path) -> tuple[Path, str]:
    source = PUBLIC / "law-0150.txt"
    paras = fp.paragraphs_of(source.read_text(encoding="utf-8"))
    passage = max(paras, key=len)
    out = tmp / "fp"
    assert main(["fingerprints", "build", "--id", "registered-q3", "--label", "第3季度内部通报", "--out", str(out),
                 str(source)]) == 0
    return out, passage


@pytest.fixture(scope="module")
def scanners(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scanner, Scanner, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("fast")
    fp_dir, passage = _fingerprint_rule(tmp)
    dirs = [BUILTIN_RULES_DIR, ORG_RULES, fp_dir]
    return Scanner(load_rules(dirs)), ReferenceScanner(load_rules(dirs)), {"passage": passage}


# each family alone: (text, a rule that must count in it)
FAMILIES = [
    ("机密★10年", "classification-marking"),
    ("内部资料\n关于某事的说明", "internal-marking"),
    ("本材料请勿外传。", "no-dissemination"),
    ("份号：000123", "copy-number"),
    ("关于某某事项的通知（征求意见稿）\n各单位：", "process-draft"),
    (f"身份证号{id_number('11010519491231002')}", "id-card"),
    ("证件号一一〇一〇五一九四九一二三一〇〇二" + id_number("11010519491231002")[-1].replace("X", "十"), "id-card-numerals"),
    ("联系电话13812345678", "mobile"),
    ("联系电话139 12 34 5678", "mobile"),  # the first group of 4 digits ends the run: the run starts before it
    ("联系电话1391 2345 678", "mobile"),  # the first group of 4 digits does not end the run
    (f"开户行账号{luhn_number('621700000000000123')}", "bank-card"),
    ("家庭住址：某某市某某路12号3单元402室", "home-address"),
    ("某雷达站位于北纬39°54′27″，东经116°23′17″。", "facility-coordinates"),
    ("现将\u202e有关事项通知如下", "bidi-control"),
    ("青鸾\u00ad四号", "org-project-codes"),
    ("青 鸾 四 号", "org-project-codes"),
    ("全体中国入民团结奋斗", "political-fixed-expressions"),
    ("PASSAGE", "registered-q3"),
]
FILLER = "坚持以人民为中心的发展思想，推动经济社会高质量发展。" * 40


@pytest.mark.parametrize(("text", "rule"), FAMILIES, ids=[r for _, r in FAMILIES])
@pytest.mark.parametrize("where", ["alone", "in-long-text"])
def test_each_family_alone_is_found_as_by_the_reference(scanners: tuple[Scanner, Scanner, dict[str, str]],
                                                        text: str, rule: str, where: str) -> None:
    fast, reference, extra = scanners
    text = extra["passage"] if text == "PASSAGE" else text
    if where == "in-long-text":
        text = FILLER + "\n" + text + "\n" + FILLER
    found = fast.scan(text)
    assert rule in {f.rule for f in found.findings if f.severity != "info"}, [f.rule for f in found.findings]
    assert found.findings == reference.scan(text).findings
    assert found.verdict == reference.scan(text).verdict


def test_public_texts_are_found_as_by_the_reference(scanners: tuple[Scanner, Scanner, dict[str, str]]) -> None:
    fast, reference, _ = scanners
    names = sorted(PUBLIC.glob("*.txt"))[::12]
    assert len(names) >= 20
    for path in names:
        text = path.read_text(encoding="utf-8")
        for piece in (text, text[:SHORT], text[:200]):
            assert fast.scan(piece).findings == reference.scan(piece).findings, path.name


def test_work_stays_linear_when_many_terms_share_an_anchor(tmp_path: Path) -> None:
    """Counted, not timed: 3,000 listed names that begin alike, in a text four times as long, cost four times the work
    (each place of the shared anchor is one short walk), and every occurrence is found."""
    names = [f"某某市公安局第{i}分局" for i in range(3000)]
    (tmp_path / "names.terms.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    (tmp_path / "names.yaml").write_text("id: names\nkind: terms\nseverity: review\nterms_file: names.terms.txt\n",
                                         encoding="utf-8")
    scanner = Scanner.load(tmp_path, defaults=False)
    unit = "某某市公安局召开会议，某某市公安局第17分局参加。" * 50
    w1, w4 = scanner.work(unit), scanner.work(unit * 4)
    assert w1.hits == 50 and w4.hits == 200
    assert w4.automaton_chars <= 4.4 * w1.automaton_chars and w4.total <= 4.4 * w1.total
    assert w1.automaton_chars <= 2 * len(unit)  # a walk per place, not 3,000 comparisons


def test_folding_across_the_block_edge() -> None:
    """Folding looks at the code points a block (2**20 characters) at a time: characters that fold or expand on both
    sides of the edge come out as they do one by one, and the offsets still point at them."""
    from reviewer.scan.normalize import _FOLD_BLOCK, fold, fold_map

    edge = _FOLD_BLOCK
    tail = "⑩\u00ad靑\U0001d7ce😀\ud800Ａ机"
    text = "机" * (edge - 3) + tail + "密" * 10
    folded, offsets = fold_map(text)
    assert folded == "机" * (edge - 3) + "".join(fold(ch) for ch in tail) + "密" * 10
    at = folded.index("青")
    assert text[offsets.start(at)] == "靑" and offsets.start(at) == edge - 3 + 2
    assert offsets.start(len(folded) - 1) == len(text) - 1


# ------------------------------------------------------------------ issue 19: the shortcuts of the second round
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("0123456789 -x年号") + ["139", "2021", " 1234 ", "-5678"]), max_size=30))
def test_numbers_are_found_as_by_the_plain_run_steps(scanners: tuple[Scanner, Scanner, dict[str, str]],
                                                     pieces: list[str]) -> None:
    """A lone group of 4 digits (a year) is passed over without the run steps; a group that a run continues on
    either side (139 12 34 5678, 1391 2345 678) never is: the candidates are those of the plain steps."""
    fast, reference, _ = scanners
    text = "联系电话" + "".join(pieces) + "。账号"
    _same_candidates(fast, reference, "_digit_hits", Stream.of(text))


def _same_candidates(fast: Scanner, reference: Scanner, method: str, stream: Stream) -> None:
    """The fast path `method` of the scanner gives the reference's candidates, in the same order."""
    got: list = []  # type: ignore[type-arg]
    want: list = []  # type: ignore[type-arg]
    getattr(fast, method)(stream, got)
    getattr(reference, method)(stream, want)
    assert [(c.rule, c.start, c.end, c.severity, c.explanation) for c in got] == [
        (c.rule, c.start, c.end, c.severity, c.explanation) for c in want]


def _head_end_line_by_line(text: str, lines: int) -> int:
    pos = seen = 0
    while pos < len(text) and seen < lines:
        nl = text.find("\n", pos)
        nl = len(text) if nl < 0 else nl
        if text[pos:nl].strip():
            seen += 1
        pos = nl + 1
    return min(pos, len(text))


def _copy_number_line_by_line(text: str, head: int) -> list[tuple[int, int]]:
    """The reference for `markings.copy_number`'s head lines: every line that starts before `head` (blank ones too),
    read whole and matched on its own."""
    expected = []
    pos = 0
    while pos < head:
        nl = text.find("\n", pos)
        nl = len(text) if nl < 0 else nl
        lead = len(text[pos:nl]) - len(text[pos:nl].lstrip(" \t"))
        if markings.COPY_NUMBER.fullmatch(text, pos, nl):
            expected.append((pos + lead, pos + lead + 6))
        elif m := markings.LABELLED_COPY.match(text, pos, nl):
            expected.append((pos + lead, m.end()))
        pos = nl + 1
    return expected


_HEAD_PIECES = st.sampled_from(["\n", "\n", " ", "\t", "\r", "\u3000", "份号：004926", "004926", "No.123456", "份 号 12",
                                "机密★1年", "正文", "a"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_HEAD_PIECES, max_size=30), st.integers(0, 8))
def test_head_and_copy_numbers_skip_only_blank_lines(pieces: list[str], lines: int) -> None:
    """head_ends and copy_number jump over blank lines at once: the head ends where counting line by line ends it, for
    every number of lines at once, and the copy numbers among the head lines are those a line-by-line reading finds
    (a 份号 line after blank lines, or just at the head's end, is still read)."""
    text = "".join(pieces)
    heads = markings.head_ends(text, (lines, 3, 6))
    assert heads == {n: _head_end_line_by_line(text, n) for n in (lines, 3, 6)}
    head = heads[3]
    found = [(h.start, h.end) for h in markings.copy_number(text, head) if h.kind == "head"]
    assert found == _copy_number_line_by_line(text, head)


_FOLD_ALPHABET = st.sampled_from(list("機密青鞏ＡａZz０9 \u3000\u200b·-—.\n，。★𠀀é\u00ad\u0301\ufe0f⑩㎞№\U000e0041\U0001d7ce😀靑⾭")
                                 + ["\ud800"])


@pytest.mark.parametrize("dense", [0, 10**9], ids=["spliced-one-by-one", "replaced-at-once"])
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=_FOLD_ALPHABET, max_size=6), st.integers(0, 40)), max_size=12))
def test_both_ways_of_folding_fold_every_character_on_its_own(dense: int, parts: list[tuple[str, int]]) -> None:
    """fold_map splices a few folding characters one by one and replaces many at once (traditional-Chinese text): both
    give the text folded character by character, and offsets that point at the character each folded one came from."""
    from reviewer.scan import normalize

    text = "".join(chunk + "的" * run for chunk, run in parts)
    saved = normalize._DENSE
    normalize._DENSE = dense
    try:
        folded, offsets = fold_map(text)
        again, _, codes, classes = normalize._fold(text)
    finally:
        normalize._DENSE = saved
    assert again == folded
    if codes is not None and classes is not None:  # nothing deleted or expanded: the folded text's code points
        assert codes.tolist() == [ord(ch) for ch in folded]
        assert classes.tobytes() == normalize._CLASS.take(np.minimum(codes, np.uint32(0x80))).tobytes()
    else:
        assert any(len(fold_table().get(ch, ch)) != 1 for ch in text)
    expected, origin = [], []
    for i, ch in enumerate(text):
        out = fold_table().get(ch, ch)
        expected.append(out)
        origin.extend([i] * len(out))
    assert folded == "".join(expected)
    assert [offsets.start(k) for k in range(len(folded))] == origin


# two anchors of different lengths with the same 32-bit hash (found once by search: the hash is a polynomial modulo
# 2**32, h = c0 * P + c1 for two characters, so for a chosen 3-character anchor a 2-character one can be solved for)
COLLIDING = ("鷡一", "青鸾雷")


def test_anchors_of_different_lengths_that_share_a_hash_both_count() -> None:
    """All anchor lengths are checked against one array of hashes: a 2-character anchor with the same 32-bit hash as
    a 3-character one must neither hide the other nor be reported where only the other occurs."""
    pair, three = COLLIDING
    assert anchor_hash(pair) == anchor_hash(three)
    keys = [pair, three, three + "达站", "内部"]
    pre = Prefilter(keys)
    for text in (f"前文{three}达站后文" * 20, f"前文{pair}后文" * 20, f"{pair}{three}{pair}" * 20, "无关的文字" * 30,
                 f"前文{three}后文" * 20):
        assert pre.find(text)[0] == walk(keys, text)


def test_noise_between_and_before_characters_maps_back_exactly(scanners: tuple[Scanner, Scanner, dict[str, str]]) -> None:
    """Hits are found in the text without noise and mapped back by counting the noise before them (no regex search
    in the folded text any more): with thousands of spaces, dots and line breaks before and inside a term, the finding
    starts at its first character and ends after its last, as the reference finds it."""
    fast, reference, _ = scanners
    noisy = "青 . 鸾\n四 -号"
    text = ("一 . 二\n三 - 四 " * 400) + "项目" + noisy + "工程" + (" . " * 300) + noisy
    found = [f for f in fast.scan(text).findings if f.rule == "org-project-codes"]
    assert [f.match for f in found] == [noisy, noisy]
    assert [(f.start, f.end) for f in found] == [(m.start(), m.end()) for m in re.finditer(re.escape(noisy), text)]
    assert fast.scan(text).findings == reference.scan(text).findings


@functools.cache
def _facility_regex() -> str:
    rule = next(lr.rule for lr in load_rules([BUILTIN_RULES_DIR]).rules if lr.rule.id == "facility-coordinates")
    return rule.patterns[0].regex  # type: ignore[union-attr]


_PREFIXES = ["", "北纬", "南纬", "东经", "西经", "纬度", "经度", "N", "S", "E", "W", "n", "e", "lat:", "\"lng\": ", "'lon'=",
             "latitude ", "longitude=", "N ", "东经："]
_NUMBERS = ["39°54′27″", "116°23'17\"", "30.5728", "43.81234°", "39度54分", "三十九度五十四分二十七秒", "一百一十六度二十三分",
            "116.39723", "39 ° 54 ′", "12", "3.1"]
_SUFFIXES = ["", "N", "E", "s", " W", "°"]
_GLUE = ["", " ", "，", "、", "/", "和", "x", "位于", "1", "零", "\t", "."]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_GLUE), st.sampled_from(_PREFIXES), st.sampled_from(_NUMBERS),
                          st.sampled_from(_SUFFIXES)), max_size=8), st.integers(0, 5), st.integers(0, 5))
def test_the_coordinate_pattern_first_character_check_drops_no_match(parts: list[tuple[str, str, str, str]],
                                                                     cut_lo: int, cut_hi: int) -> None:
    """facility-coordinates starts with (?=[…]): the characters a coordinate can begin with, so that a window's other
    places fail at once. Without it the pattern finds exactly the same matches, in any window of any text (a
    character missing from the class would lose, or shorten, the coordinates that begin with it)."""
    regex = _facility_regex()
    assert regex.startswith("(?=[")
    plain = re.compile(regex[regex.index("])") + 2 :])  # the pattern without the first-character check
    checked = re.compile(regex)
    text = "".join("".join(part) for part in parts)
    lo, hi = min(cut_lo, len(text)), max(min(cut_lo, len(text)), len(text) - cut_hi)
    assert [m.span() for m in checked.finditer(text, lo, hi)] == [m.span() for m in plain.finditer(text, lo, hi)]


@pytest.mark.parametrize(("regex", "needed"), [
    (r"(?<![A-Z])[京沪][A-Z]\d{5}", "[京沪]"),  # the smaller of two classes; the lookbehind needs nothing
    (r"(?:家庭住址|住址)[：:]", "[住家]"),  # each alternative needs one of its characters: their union
    (r"\d+(?:号楼|号)?单元", "[单]"),  # an optional group needs nothing
    (r"(?:楼|)\d+室", "[室]"),  # an alternative that can be empty needs nothing
    (r"[A-Z]?\d{8}", None),  # only digits and an optional letter: no usable class
    (r"(?i)abc", None),  # ignoring case: not used
    (r"x*y{0,3}", None),
])
def test_required_class_of_a_pattern(regex: str, needed: str | None) -> None:
    from reviewer.scan.gates import required_class

    gate = required_class(re.compile(regex))
    assert (gate.pattern if gate else None) == needed


_WINDOW_PIECES = st.sampled_from(list("0123456789 -ABEGPSXdeps京沪新住址单元号楼室°˚o度.北纬东经NE，。：一二三〇") + [
    "京A12345", "沪B·D1234", "E12345678", "SE1234567", "DE 1234567", "141234567", "住址：", "家庭住址", "3号楼2单元401室",
    "北纬39°54′27″", "东经116.39723°", "30.5728°N", "户籍所在地", "\u202e", "一一〇一〇五一九四九一二三一〇〇二一"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_WINDOW_PIECES, max_size=40), st.integers(0, 20), st.integers(0, 20))
def test_gated_patterns_find_what_every_pattern_finds(scanners: tuple[Scanner, Scanner, dict[str, str]],
                                                      pieces: list[str], cut_lo: int, cut_hi: int) -> None:
    """A window without any character that every match of a pattern needs is passed over (scan/gates.py): on windows
    of texts made of plates, passports, addresses, coordinates and numbers, each built-in pattern family gives the
    same candidates as trying every pattern on every window."""
    fast, reference, _ = scanners
    text = "".join(pieces)
    lo, hi = min(cut_lo, len(text)), max(min(cut_lo, len(text)), len(text) - cut_hi)
    for i in fast._compiled:
        got: list = []  # type: ignore[type-arg]
        want: list = []  # type: ignore[type-arg]
        fast._pattern_hits(i, text, lo, hi, got, None)
        reference._pattern_hits(i, text, lo, hi, want, None)
        assert [(c.start, c.end, c.severity, c.explanation) for c in got] == [
            (c.start, c.end, c.severity, c.explanation) for c in want], fast._rules[i].id


# ------------------------------------------------------------------ issue 19, round 8: numbers in Chinese numerals
_NUMERAL_PIECES = st.sampled_from(list("〇○零一二三四五六七八九壹贰叁肆伍陆柒捌玖十拾百Xx  -_年号，\n") + [
    "貳", "陸", "參", "\u200b", "１", "一一〇一〇五一九四九一二三一〇〇二一", "壹壹零壹零伍壹玖玖零零叁零柒壹贰叁玖",
    "一 一 〇 一 〇 五", "一九四九 一二三一", "〇〇二十", "〇〇二拾"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_NUMERAL_PIECES, max_size=40))
def test_numeral_runs_find_what_the_whole_text_finds(scanners: tuple[Scanner, Scanner, dict[str, str]],
                                                    pieces: list[str]) -> None:
    """`anchor: numerals` (the ID number in Chinese numerals) is tried only around runs of 17 or more numerals
    (Stream.digits has them as "N", traditional forms such as 貳 included after folding): the candidates are those of
    the pattern over the whole text, with runs next to each other, spaces, hyphens, 十/拾/X at the end and numerals
    before and after."""
    fast, reference, _ = scanners
    assert fast._numeral_rules, "the built-in rules have an anchor: numerals rule"
    text = "".join(pieces)
    _same_candidates(fast, reference, "_numeral_hits", Stream.of(text))
    assert [(f.rule, f.start, f.end) for f in fast.scan(text).findings] == [
        (f.rule, f.start, f.end) for f in reference.scan(text).findings]


@pytest.mark.parametrize("text", [  # valid numbers of rules/personal/id-card-numerals.examples.txt
    "号码四四〇三〇四一九八五一二一二四五六九。",
    "号码贰壹零壹零贰壹玖柒贰零壹零壹零零贰玖",
    "号码一一零一零五 一九九零零三零七 一二三九",
    "号码贰壹零壹零貳壹玖柒貳零壹零壹零零貳玖",  # 貳 folds to 贰, a numeral
    "号码三二〇一〇二一九八八〇七一五一〇七十，",
    "一九四九年" * 3 + "号码，四四〇三〇四一九八五一二一二四五六九，" + "二〇二四" * 40,  # long runs of numerals around it
])
def test_numeral_anchor_finds_the_id_number(scanners: tuple[Scanner, Scanner, dict[str, str]], text: str) -> None:
    fast, reference, _ = scanners
    want = [(f.rule, f.start, f.end) for f in reference.scan(text).findings if f.rule == "id-card-numerals"]
    got = [(f.rule, f.start, f.end) for f in fast.scan(text).findings if f.rule == "id-card-numerals"]
    assert got == want
    assert len(got) == 1


# ------------------------------------------------------------------ issue 19, round 8: cores (scan/gates.py)
_CORE_PATTERNS = [
    r"(?<![A-Za-z0-9])[京沪][A-Z][ ·]?[A-Z0-9]{4,5}(?![A-Za-z0-9])",
    r"(?:北纬|东经)?\d{1,3}[ ]?(?:[°˚o]|度)[ ]?\d{1,2}(?:\.\d+)?[ ]?(?:[′’]|分)|\d{1,3}\.\d{2,}",
    r"(?<![0-9A-Za-z])(?:[Ee][A-HJ-NP-Za-hj-np-z]|[Ss][Ee]|[Dd][Ee])[ \-]?\d{3}(?![0-9])",
    r"[^\d\s]{2}x\d*y?z",
    r"a(?:bc|d)e{0,2}f+g",
    r"(?:ab|a)c\d\d",
    r"\w\W\s\S\D\d",
    r"(?=a)a[ab]{2,3}(?<=b)c",
    r"[\-\]\\^]{2}q",
    r"x(?:y|)z1",
    r"(?:a|b)\d{6}",
    "\x00a\\d\\d",
    r"\d+(?:号楼|号)?单元\d",
    r"(?:家庭住址|住址)[：:]\S",
    r"1[45]\d{3}(?![0-9])",
    r"[零〇一二三]{1,2}度[零〇一二三]{1,3}分",
    r"\b\d{2}-\d{2}\b",
]
_CORE_ALPHABET = list("abcdefgxyzq京沪AB0123456789 ·°度.-]\\^\x00北纬东经分′号楼单元住址：:SsEeD零〇一二三\n") + [
    "京A", "北纬12°3′", "12.345", "3号楼", "SE-", "E1", "一度二分", "住址：", "abce", "12-34"]


def test_cores_of_the_built_in_patterns() -> None:
    """The number and coordinate patterns get a core (a regex without their look-arounds), which begins with a rare
    character where one is required: a window without a plate or a coordinate is passed over by one search."""
    from reviewer.scan.gates import required_core

    rules = {r.id: r for r in (lr.rule for lr in load_rules([BUILTIN_RULES_DIR]).rules)}
    cores = {rid: [required_core(re.compile(p.regex)) for p in rules[rid].patterns]  # type: ignore[union-attr]
             for rid in ("license-plate", "facility-coordinates", "passport", "residential-address")}
    assert all(c is not None for c in cores["license-plate"] + cores["facility-coordinates"]), cores
    facility = cores["facility-coordinates"][0]
    assert facility is not None and not facility.pattern.startswith(("[\\d]", "\\d")), facility.pattern
    residential = cores["residential-address"][0]
    assert residential is not None and residential.pattern.startswith("单元"), residential.pattern


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_CORE_PATTERNS), st.lists(st.sampled_from(_CORE_ALPHABET), max_size=30))
def test_every_match_contains_a_match_of_its_core(regex: str, pieces: list[str]) -> None:
    """The core of a pattern is found inside every match of it, from every place a match can begin (windows begin
    anywhere): with look-arounds, optional groups and characters, alternatives, repetitions, categories, negated
    classes and escaped class characters."""
    from reviewer.scan.gates import required_core

    pattern = re.compile(regex)
    core = required_core(pattern)
    if core is None:
        return
    text = "".join(pieces)
    for at in range(len(text) + 1):
        m = pattern.search(text, at)
        if m is None:
            break
        assert core.search(text, m.start(), m.end()) is not None, (regex, core.pattern, m.group())


def test_most_crafted_patterns_have_a_core() -> None:
    from reviewer.scan.gates import required_core

    with_core = [r for r in _CORE_PATTERNS if required_core(re.compile(r)) is not None]
    assert len(with_core) >= 12, with_core


@pytest.mark.parametrize("number", ["1391 23 45 67 8", "13 9 1234 5678", "1 3 9 1 2 3 4 5 6 7 8 9 1391",
                                    "139-1234-5678", "12 34 56 78 90 1391 2345 678"])
def test_a_run_is_found_wherever_its_group_of_four_stands(scanners: tuple[Scanner, Scanner, dict[str, str]],
                                                         number: str) -> None:
    """The probe for runs of digits (round 8: one search for a group of four that more digits of its run follow or
    precede) finds a run whose only group of four begins it, ends it or stands inside it."""
    fast, reference, _ = scanners
    stream = Stream.of("联系电话" + number + "。")
    got: list = []  # type: ignore[type-arg]
    want: list = []  # type: ignore[type-arg]
    fast._digit_hits(stream, got)
    reference._digit_hits(stream, want)
    assert [(c.rule, c.start, c.end) for c in got] == [(c.rule, c.start, c.end) for c in want]
    if "1391 23 45 67 8" in number or "139-1234-5678" in number:
        assert any(fast._rules[c.rule].id == "mobile" for c in got)


_COPY_PIECES = ["份号", "份 号", "份\t号：", "份号:", "No.", "NO", "no：", "№", "004926", "0049261", "12", "1234", "８",
                " ", "\t", "\r", "\n", "\n\n", "  \n", "-", "/", ".", "机密★1年", "公开", "身份号码", "第"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_COPY_PIECES), max_size=30), st.integers(min_value=-1, max_value=120))
def test_copy_numbers_of_the_head_in_one_search(pieces: list[str], head: int) -> None:
    """copy_number finds the head lines' 份号 by one multi-line search: the same hits as matching each head line on its
    own, for any head offset (a line that starts before it is read whole, blank lines are neither)."""
    text = "".join(pieces)
    head = min(head, len(text))
    expected = _copy_number_line_by_line(text, head)
    assert [(h.start, h.end) for h in markings.copy_number(text, head) if h.kind == "head"] == expected

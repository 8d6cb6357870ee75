"""The scanner: Aho-Corasick (terms, marking words, exemption phrases) over the folded, noise-free text, walked only
where the prefilter finds the start of a key; validators and context for numbers; marking grammar on the hit's line;
exemption spans; jieba only in a small window around the few hits that need a word boundary."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import ahocorasick

from reviewer.ruleset.loader import RuleSet, load_rules
from reviewer.ruleset.model import ExemptionRule, FingerprintRule, MarkingRule, PatternRule, TermsRule
from reviewer.scan import markings
from reviewer.scan.boundaries import Boundaries
from reviewer.scan.fingerprints import FingerprintIndex
from reviewer.scan.model import CONTEXT_CHARS, SEVERITY_LABEL, Finding, ScanResult, Severity
from reviewer.scan.normalize import CharOffsets, Stream, relocation_regex, term_keys
from reviewer.scan.prefilter import Prefilter
from reviewer.scan.validators import VALIDATORS
from reviewer.settings import BUILTIN_RULES_DIR, Settings

TERM, MARKER, EXEMPT = 0, 1, 2
_DIGITS = bytes.maketrans(b"0123456789 -", b"0000000000__")
_RUN = re.compile(rb"[0_]*0")
_RUN_BYTES = frozenset(b"0_")


class _Entry(NamedTuple):
    role: int
    rule: int  # index into Scanner._rules
    term: str


@dataclass(slots=True)
class _Candidate:
    rule: int
    start: int
    end: int
    severity: Severity
    explanation: str
    exemptable: bool = True
    word: str = ""  # set for mentions: kept only if a word starts here (checked after exemptions, jieba is slow)


def default_rule_dirs(settings: Settings | None = None) -> list[Path]:
    settings = settings or Settings.from_env()
    return [BUILTIN_RULES_DIR, *settings.rules_paths]


class Scanner:
    """Immutable after construction and safe to share between threads: load once per process (see `shared`)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules_version = ruleset.version
        self._rules = [lr.rule for lr in ruleset.rules]
        self._boundaries = Boundaries()
        self._keys: list[bytes] = []
        self._entries: list[list[_Entry]] = []
        index: dict[bytes, int] = {}
        self._digit_rules: list[int] = []
        self._text_rules: list[int] = []
        self._copy_rules: list[int] = []
        self._marker_words: frozenset[str] = frozenset()
        words: set[str] = set()
        for i, lr in enumerate(ruleset.rules):
            rule = lr.rule
            if isinstance(rule, TermsRule):
                self._add_all(index, lr.terms, TERM, i)
            elif isinstance(rule, ExemptionRule):
                self._add_all(index, rule.phrases, EXEMPT, i)
            elif isinstance(rule, MarkingRule):
                if rule.grammar == "copy_number":
                    self._copy_rules.append(i)
                else:
                    self._add_all(index, rule.markers, MARKER, i)
                    words.update(rule.markers)
            elif isinstance(rule, PatternRule):
                (self._digit_rules if rule.anchor == "digits" else self._text_rules).append(i)
        fingerprint_rules = [(i, lr.path, lr.rule) for i, lr in enumerate(ruleset.rules) if isinstance(lr.rule, FingerprintRule)]
        self._fingerprints = FingerprintIndex.load(fingerprint_rules) if fingerprint_rules else None
        self._marker_words = frozenset(words)
        self._compiled = {
            i: [re.compile(p.regex) for p in self._rules[i].patterns]  # type: ignore[union-attr]
            for i in self._digit_rules + self._text_rules
        }
        self._build_automata()
        self._min_digits = min((self._rules[i].min_digits for i in self._digit_rules), default=0)  # type: ignore[union-attr]
        self._head_lines = max((r.head_lines for r in self._rules if isinstance(r, MarkingRule)), default=6)

    def _build_automata(self) -> None:
        """Keys of two or more characters (terms, marking words, exemption phrases) go into an automaton that is walked
        only where the prefilter finds the start of a key; one-character keys into a small one walked over everything."""
        self._small = ahocorasick.Automaton()
        big = ahocorasick.Automaton()
        big_keys: list[str] = []
        self._key_text = [k.decode("utf-8") for k in self._keys]
        for kid, key in enumerate(self._key_text):
            if len(key) >= 2:
                big.add_word(key, kid)
                big_keys.append(key)
            else:
                self._small.add_word(key, kid)
        if len(self._small):
            self._small.make_automaton()
        self._big = None
        if big_keys:
            big.make_automaton()
            self._big = big
        self._prefilter = Prefilter(big_keys)

    def _add_all(self, index: dict[bytes, int], words: Iterable[str], role: int, rule: int) -> None:
        words = list(words)
        keys, entries = self._keys, self._entries
        for word, key in zip(words, term_keys(words)):
            if not key:
                continue
            kid = index.get(key)
            if kid is None:
                kid = index[key] = len(keys)
                keys.append(key)
                entries.append([_Entry(role, rule, word)])
            else:
                entries[kid].append(_Entry(role, rule, word))

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, *rule_dirs: str | os.PathLike[str], defaults: bool = True, settings: Settings | None = None) -> Scanner:
        """Built-in rules/ and REVIEWER_RULES_PATH (when `defaults`), then `rule_dirs`."""
        dirs = [*(default_rule_dirs(settings) if defaults else []), *(Path(d) for d in rule_dirs)]
        return cls(load_rules(dirs))

    @classmethod
    def shared(cls, *rule_dirs: str | os.PathLike[str], defaults: bool = True) -> Scanner:
        """One scanner per process for the same directories and rule content (workers call this per task)."""
        dirs = [*(default_rule_dirs() if defaults else []), *(Path(d) for d in rule_dirs)]
        ruleset = load_rules(dirs)
        key = (ruleset.version, ruleset.directories)
        with _SHARED_LOCK:
            scanner = _SHARED.get(key)
            if scanner is None:
                scanner = _SHARED[key] = cls(ruleset)
        return scanner

    # ----------------------------------------------------------------- scanning
    def scan(self, text: str) -> ScanResult:
        candidates, _ = self._scan(text)
        return ScanResult(rules_version=self.rules_version, findings=[self._finding(text, c) for c in candidates])

    def exemption_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where exemption phrases apply (for `rules check` examples and explanations)."""
        return self._scan(text)[1]

    def _scan(self, text: str) -> tuple[list[_Candidate], list[tuple[int, int, str]]]:
        stream = Stream.of(text)
        folded = stream.folded
        offsets = CharOffsets(stream.data)
        head = markings.head_end(folded, self._head_lines)
        out: list[_Candidate] = []
        exempt: list[tuple[int, int, str]] = []
        if self._keys:
            self._automaton_hits(stream, offsets, head, out, exempt)
        if self._digit_rules:
            self._digit_hits(stream, offsets, out)
        for i in self._text_rules:
            self._pattern_hits(i, folded, 0, len(folded), out, None)
        for i in self._copy_rules:
            rule = self._rules[i]
            hit = markings.copy_number(folded, markings.head_end(folded, rule.head_lines))  # type: ignore[union-attr]
            if hit:
                out.append(_Candidate(i, hit.start, hit.end, rule.severity, hit.explanation, exemptable=False))
        if self._fingerprints is not None:  # registered documents (scan/fingerprints.py): one call per text
            for fp in self._fingerprints.find(text, folded):
                out.append(_Candidate(fp.rule, fp.start, fp.end, self._rules[fp.rule].severity, fp.explanation, exemptable=False))
        return self._settle(folded, out, exempt), exempt

    def _automaton_hits(self, stream: Stream, offsets: CharOffsets, head: int, out: list[_Candidate],
                        exempt: list[tuple[int, int, str]]) -> None:
        cursor: dict[int, int] = {}
        data = stream.data
        folded = stream.folded
        clean = stream.clean
        hits = list(self._small.iter(clean)) if len(self._small) else []
        if self._big is not None:
            big_hits = [hit for ws, we in self._prefilter.windows(clean) for hit in self._big.iter(clean, ws, we)]
            if big_hits:
                hits = sorted(hits + big_hits) if hits else big_hits
        for end, kid in hits:
            key = self._keys[kid]
            lower = stream.lower_bound(end - len(self._key_text[kid]) + 1)
            m = relocation_regex(key).search(data, max(lower, cursor.get(kid, 0)))
            if m is None:  # pragma: no cover - the stream and the text disagree; never drop silently
                raise RuntimeError("内部错误：命中位置无法映射回原文")
            cursor[kid] = m.start() + 1
            start, stop = offsets(m.start()), offsets(m.end())
            for entry in self._entries[kid]:
                rule = self._rules[entry.rule]
                if entry.role == EXEMPT:
                    exempt.append((start, stop, rule.id))
                else:
                    if entry.role == TERM:
                        cand = self._term(entry, rule, folded, start, stop)  # type: ignore[arg-type]
                    else:
                        cand = self._marker(entry, rule, folded, start, stop, head)  # type: ignore[arg-type]
                    if cand:
                        out.append(cand)

    def _term(self, entry: _Entry, rule: TermsRule, folded: str, start: int, stop: int) -> _Candidate | None:
        noisy = stop - start != len(entry.term)
        note = f"词表词语“{entry.term}”" + ("（原文字符间夹有空格或分隔符）" if noisy else "")
        larger = self._boundaries.enclosing_word(folded, start, stop)
        if larger:
            if rule.boundary == "word":
                return None
            return _Candidate(entry.rule, start, stop, Severity.INFO, f"{note}；位于更大词语“{larger}”之中，降为提示")
        return _Candidate(entry.rule, start, stop, rule.severity, note + "；词语边界完整")

    def _marker(self, entry: _Entry, rule: MarkingRule, folded: str, start: int, stop: int, head: int) -> _Candidate | None:
        if rule.grammar == "classification":
            hit = markings.classification(folded, start, stop, head)
        else:
            hit = markings.standalone(folded, start, stop, self._marker_words, head, rule.title_suffix)
        if hit:  # a marking is never exempted: 工作秘密 on its own line is a marking even though prose may mention it
            return _Candidate(entry.rule, hit.start, hit.end, rule.severity, hit.explanation, exemptable=False)
        if rule.mention_severity is None:
            return None
        return _Candidate(entry.rule, start, stop, rule.mention_severity, f"正文中提及“{entry.term}”，不是标志",
                          word=entry.term)

    def _digit_hits(self, stream: Stream, offsets: CharOffsets, out: list[_Candidate]) -> None:
        digits = stream.data.translate(_DIGITS)
        folded = stream.folded
        seen: set[tuple[int, int, int]] = set()
        pos = 0
        probe = b"0" * min(4, self._min_digits)  # every number pattern has a group of 4 digits
        last_end = 0
        while True:
            pos = digits.find(probe, pos)
            if pos < 0:
                return
            while pos > last_end and digits[pos - 1] in _RUN_BYTES:  # the run may begin with a shorter group (139 1234 5678)
                pos -= 1
            m = _RUN.match(digits, pos)
            assert m is not None
            run_end = last_end = m.end()
            count = digits.count(b"0", pos, run_end)
            if count >= self._min_digits:
                s, e = offsets(pos), offsets(run_end)
                lo, hi = max(0, s - 24), min(len(folded), e + 24)
                for i in self._digit_rules:
                    if count >= self._rules[i].min_digits:  # type: ignore[union-attr]
                        self._pattern_hits(i, folded, lo, hi, out, (s, e), seen)
            pos = run_end

    def _pattern_hits(self, i: int, folded: str, lo: int, hi: int, out: list[_Candidate],
                      run: tuple[int, int] | None, seen: set[tuple[int, int, int]] | None = None) -> None:
        rule: PatternRule = self._rules[i]  # type: ignore[assignment]
        validate = VALIDATORS[rule.validator] if rule.validator else None
        for pattern, named in zip(self._compiled[i], rule.patterns):
            for m in pattern.finditer(folded, lo, hi):
                s, e = m.span()
                if run and (e <= run[0] or s >= run[1]):
                    continue
                if seen is not None:
                    if (i, s, e) in seen:
                        continue
                    seen.add((i, s, e))
                severity: Severity | None = rule.severity
                note = f"模式“{named.name}”"
                if validate:
                    ok, why = validate(m.group())
                    note += f"；校验：{why}"
                    if not ok:
                        severity = rule.invalid_severity
                if severity is None:
                    continue
                if validate is None or ok:
                    for ctx in rule.context:
                        near = folded[max(0, s - ctx.window) : e + ctx.window]
                        word = next((w for w in ctx.words if w in near), None)
                        if word:
                            severity = ctx.severity
                            note += f"；附近有“{word}”，定为“{SEVERITY_LABEL[severity]}”"
                            break
                out.append(_Candidate(i, s, e, severity, note))

    def _settle(self, folded: str, out: list[_Candidate], exempt: list[tuple[int, int, str]]) -> list[_Candidate]:
        """Drop exempted hits, mentions that are not words (有机密封), then duplicates; order by position."""
        kept: dict[tuple[int, int, int], _Candidate] = {}
        widest: dict[int, int] = {}  # rule -> end of the widest span so far (inputs sorted by start, longest first)
        for c in sorted(out, key=lambda c: (c.start, -c.end)):
            if widest.get(c.rule, -1) >= c.end:
                continue  # inside a longer hit of the same rule (内部 inside 内部资料)
            if c.exemptable:
                cover = next((x for x in exempt if x[0] <= c.start and c.end <= x[1]), None)
                if cover:
                    continue
                c.explanation += "；已核对豁免短语，未落入其范围"
            if c.word and not self._boundaries.starts_word(folded, c.start, c.end):
                continue
            key = (c.rule, c.start, c.end)
            if key not in kept:
                kept[key] = c
                widest[c.rule] = max(widest.get(c.rule, -1), c.end)
        return sorted(kept.values(), key=lambda c: (c.start, c.end, c.rule))

    def _finding(self, text: str, c: _Candidate) -> Finding:
        rule = self._rules[c.rule]
        lo = max(0, c.start - CONTEXT_CHARS)
        context = text[lo : c.end + CONTEXT_CHARS].replace("\n", " ").replace("\r", " ").replace("\t", " ")
        return Finding(rule.id, rule.category, c.severity, c.start, c.end, text[c.start : c.end], context,
                       rule.message or rule.category, c.explanation)


# Explicit per-process sharing for `Scanner.shared` only (keyed by rule content, so edited rules load anew).
_SHARED: dict[tuple[str, tuple[Path, ...]], Scanner] = {}
_SHARED_LOCK = threading.Lock()

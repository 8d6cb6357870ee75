"""The scanner: the keys (terms, marking words, exemption phrases) are found in the folded, noise-free text where the
prefilter finds their anchor (compared there; an automaton walks short windows only for anchors that many keys
share); validators and context for numbers; marking grammar on the hit's line; exemption spans; jieba only in a small
window around the few hits that need a word boundary.

Cost is linear in the size of the text: each anchor place costs at most `prefilter.GROUP` comparisons or one walk of a
window no longer than the longest key (windows merged and sliced, never the whole buffer per window), a hit is mapped
back by a binary search over the removed noise characters (`Stream.folded_span`), the marking grammar reads at most `LINE_CAP`
characters on either side of a hit, and exemption spans are looked up by bisection. `Scanner.work` counts that work
for tests (deterministic, unlike time).

Everything is found in the folded text (`normalize.fold_map`); the spans of the findings are mapped back to the
original at the end."""

from __future__ import annotations

import os
import re
import threading
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import ahocorasick

from reviewer.ruleset.loader import RuleSet, load_rules
from reviewer.ruleset.model import (
    ExemptionRule,
    ExpressionRule,
    FingerprintRule,
    MarkingRule,
    PatternRule,
    TermsRule,
    TitlesRule,
)
from reviewer.scan import expressions, markings
from reviewer.scan.boundaries import Boundaries
from reviewer.scan.fingerprints import FingerprintIndex
from reviewer.scan.gates import gate as window_gate
from reviewer.scan.model import CONTEXT_CHARS, SEVERITY_LABEL, Finding, ScanResult, Severity
from reviewer.scan.normalize import OffsetMap, Stream, fold_table, original_span, term_keys
from reviewer.scan.prefilter import Prefilter
from reviewer.scan.validators import SENTENCE_CHECKS, VALIDATORS
from reviewer.settings import BUILTIN_RULES_DIR, Settings

TERM, MARKER, EXEMPT, ANCHOR = 0, 1, 2, 3  # ANCHOR: a word after which a `anchor: words` pattern is tried
EXPRESSION, PERSON = 4, 5  # a wrong form of an `expression` rule; a name of a `titles` rule (scan/expressions.py)
_RUN = re.compile(rb"[0_]*0")
_RUN_BYTES = frozenset(b"0_")
_NUMERAL_RUN = re.compile(rb"(?:_?N)*")  # the rest of a run of Chinese numerals ("N" in Stream.digits)
WINDOW = 24  # characters around a run of digits or numerals that its patterns are tried on
LINE_CAP = 4096  # characters of a hit's line the marking grammar reads on either side (a longer line is cut there)
HIDDEN_RUNS = 4096  # deleted characters beyond which `anchor: hidden` patterns run over the whole text once
HIDDEN_LISTED = 50  # located findings per `anchor: hidden` pattern; the last one says how many there are in all
SHORT_TERM = 2  # terms of at most this many characters are judged by word boundaries (longer ones never downgraded)
FIND_SINGLES = 8  # up to this many one-character keys are found with str.find instead of an automaton walk


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
    original: bool = False  # the span indexes the original text already (`anchor: hidden` patterns)
    suggestion: str = ""  # the right form (expression and titles rules)
    message: str = ""  # overrides the rule's message (“应为：…”)
    overlaps: bool = False  # may cover other hits of its rule without hiding them (the order of a list of names)


@dataclass(slots=True)
class Work:
    """What one scan cost, counted (for the linear-cost test and the benchmark): characters compared with keys or fed
    to the automata, characters of hits mapped back to the folded text (`relocation_bytes`, one per character and one
    per hit), characters of lines the marking grammar reads, look-ups
    (anchor places compared, automaton walks, str.find passes)."""

    automaton_chars: int = 0
    automaton_calls: int = 0
    relocation_bytes: int = 0
    line_chars: int = 0
    hits: int = 0

    @property
    def total(self) -> int:
        return self.automaton_chars + self.relocation_bytes + self.line_chars


def _single_hits(clean: str, singles: list[tuple[str, int]]) -> list[tuple[int, int]]:
    """(position, key id) of every occurrence of the one-character keys, ordered by position: what walking an
    automaton of these keys over `clean` yields (its end index of a one-character key is the key's position)."""
    hits: list[tuple[int, int]] = []
    for key, kid in singles:
        pos = clean.find(key)
        while pos >= 0:
            hits.append((pos, kid))
            pos = clean.find(key, pos + 1)
    if len(singles) > 1:
        hits.sort()
    return hits


def default_rule_dirs(settings: Settings | None = None) -> list[Path]:
    settings = settings or Settings.from_env()
    return [BUILTIN_RULES_DIR, *settings.rules_paths]


class Scanner:
    """Immutable after construction and safe to share between threads: load once per process (see `shared`)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules_version = ruleset.version
        self._rules = [lr.rule for lr in ruleset.rules]
        self._keys: list[bytes] = []
        self._entries: list[list[_Entry]] = []
        index: dict[bytes, int] = {}
        self._digit_rules: list[int] = []
        self._text_rules: list[int] = []
        self._numeral_rules: list[int] = []
        self._hidden_rules: list[int] = []
        self._word_rules: list[int] = []
        self._copy_rules: list[int] = []
        self._marker_words: frozenset[str] = frozenset()
        self._expressions: dict[tuple[int, str], list[expressions.Entry]] = {}
        self._people: dict[int, expressions.People] = {}
        words: set[str] = set()
        groups: list[tuple[tuple[str, ...], bool]] = []
        for i, lr in enumerate(ruleset.rules):
            rule = lr.rule
            if isinstance(rule, TermsRule):
                self._add_all(index, lr.terms, TERM, i)
                groups.append((lr.terms, rule.boundary == "word"))
            elif isinstance(rule, ExemptionRule):
                self._add_all(index, rule.phrases, EXEMPT, i)
            elif isinstance(rule, MarkingRule):
                if rule.grammar == "copy_number":
                    self._copy_rules.append(i)
                else:
                    self._add_all(index, rule.markers, MARKER, i)
                    words.update(rule.markers)
            elif isinstance(rule, ExpressionRule):
                for e in rule.entries:
                    self._expressions.setdefault((i, e.wrong), []).append(expressions.Entry(e))
                self._add_all(index, dict.fromkeys(e.wrong for e in rule.entries), EXPRESSION, i)
            elif isinstance(rule, TitlesRule):
                self._people[i] = expressions.People(rule)
                self._add_all(index, [p.name for p in rule.people], PERSON, i)
            elif isinstance(rule, PatternRule):
                if rule.anchor == "words":
                    self._add_all(index, rule.anchor_words, ANCHOR, i)
                    self._word_rules.append(i)
                else:
                    {"digits": self._digit_rules, "text": self._text_rules, "hidden": self._hidden_rules,
                     "numerals": self._numeral_rules}[rule.anchor].append(i)
        fingerprint_rules = [(i, lr.path, lr.rule) for i, lr in enumerate(ruleset.rules) if isinstance(lr.rule, FingerprintRule)]
        self._fingerprints = FingerprintIndex.load(fingerprint_rules) if fingerprint_rules else None
        self._marker_words = frozenset(words)
        self._compiled = {
            i: [re.compile(p.regex) for p in self._rules[i].patterns]  # type: ignore[union-attr]
            for i in self._digit_rules + self._text_rules + self._hidden_rules + self._word_rules + self._numeral_rules
        }
        # per pattern: a regex without look-arounds that every match contains a match of (its core), or a class of
        # characters every match consumes one of, or None (scan/gates.py); a window where it finds nothing is passed
        # over without trying the pattern
        self._gates = {i: [window_gate(p) for p in compiled] for i, compiled in self._compiled.items()}
        self._boundaries = Boundaries(groups, SHORT_TERM)
        self._build_automata()
        self._min_digits = min((self._rules[i].min_digits for i in self._digit_rules), default=0)  # type: ignore[union-attr]
        group = b"0" * max(1, min(4, self._min_digits))  # the group of digits every number pattern has
        # a group that more digits of its run follow or precede: a run of the group alone is shorter than every rule
        self._digit_probe = re.compile(re.escape(group) + rb"_*0|0_*" + re.escape(group)
                                       if len(group) < self._min_digits else re.escape(group))
        # `anchor: numerals`: the shortest run any such rule needs, found in Stream.digits (numerals are "N" there)
        fewest = min((self._rules[i].min_numerals for i in self._numeral_rules), default=2)  # type: ignore[union-attr]
        self._numeral_probe = re.compile(rb"N(?:_?N){%d}" % (fewest - 1))
        self._head_lines = max((r.head_lines for r in self._rules if isinstance(r, MarkingRule)), default=6)
        self._head_counts = (self._head_lines, *(self._rules[i].head_lines for i in self._copy_rules))  # type: ignore[union-attr]
        builtin = BUILTIN_RULES_DIR.resolve()
        # the built-in expression pack (rules/expressions/…): what a unit switches off with units.expression_checks
        self.expression_pack = frozenset(
            lr.rule.id for lr in ruleset.rules
            if isinstance(lr.rule, ExpressionRule) and lr.path.resolve().is_relative_to(builtin))

    def _build_automata(self) -> None:
        """Keys of two or more characters (terms, marking words, exemption phrases) are found by the prefilter (a
        comparison where their anchor starts; see prefilter.py); one-character keys by str.find when there are few,
        else by a small automaton walked over everything."""
        self._small = ahocorasick.Automaton()
        self._key_text = [k.decode("utf-8") for k in self._keys]
        self._big_ids: list[int] = []
        singles: list[tuple[str, int]] = []
        for kid, key in enumerate(self._key_text):
            if len(key) >= 2:
                self._big_ids.append(kid)
            else:
                self._small.add_word(key, kid)
                singles.append((key, kid))
        if len(self._small):
            self._small.make_automaton()
        # a few one-character keys (the built-in rules have one: °) are found by str.find, which skips the text at
        # memory speed; the automaton would step through every character
        self._singles = singles if len(singles) <= FIND_SINGLES else None
        self._prefilter = Prefilter([self._key_text[kid] for kid in self._big_ids])

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
        stream, candidates, _ = self._scan(text, None)
        return ScanResult(rules_version=self.rules_version,
                          findings=self._findings(text, stream, candidates))

    def exemption_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where exemption phrases apply (for `rules check` examples and explanations), in original offsets."""
        stream, _, exempt = self._scan(text, None)
        return [(*original_span(text, stream.offsets, s, e), rule) for s, e, rule in exempt]

    def work(self, text: str) -> Work:
        """Scan `text` and count the work done (see `Work`); the findings are those of `scan`."""
        work = Work()
        _, candidates, _ = self._scan(text, work)
        work.hits = len(candidates)
        return work

    def _scan(self, text: str, work: Work | None) -> tuple[Stream, list[_Candidate], list[tuple[int, int, str]]]:
        stream = Stream.of(text)
        folded = stream.folded
        heads = markings.head_ends(folded, self._head_counts)  # the head for the marking grammar and each copy rule
        head = heads[self._head_lines]
        out: list[_Candidate] = []
        exempt: list[tuple[int, int, str]] = []
        people: dict[int, list[tuple[str, int, int]]] = {}
        if self._keys:
            self._automaton_hits(stream, head, out, exempt, work, text if len(text) == len(stream.folded) else None,
                                 people)
        for i, hits in people.items():  # required orders of a unit's names (one list: names close together)
            for j in self._people[i].orders(folded, sorted(hits, key=lambda h: h[1])):
                out.append(self._judged(i, j, overlaps=True))
        if self._digit_rules:
            self._digit_hits(stream, out)
        if self._numeral_rules:
            self._numeral_hits(stream, out)
        for i in self._text_rules:
            self._pattern_hits(i, folded, 0, len(folded), out, None)
        if self._hidden_rules and not stream.offsets.identity:
            for i in self._hidden_rules:
                self._hidden_hits(i, text, stream.offsets, out)
        for i in self._copy_rules:
            rule = self._rules[i]
            lines = rule.head_lines  # type: ignore[union-attr]
            for hit in markings.copy_number(folded, heads[lines]):
                out.append(_Candidate(i, hit.start, hit.end, rule.severity, hit.explanation, exemptable=False))
        if self._fingerprints is not None:  # registered documents (scan/fingerprints.py): one call per text
            # on the folded text: its offsets are folded offsets like every other candidate's (fold() deletes
            # invisible characters and expands NFKC forms, so offsets into `text` would be mapped back wrongly)
            for fp in self._fingerprints.find(folded, folded):
                out.append(_Candidate(fp.rule, fp.start, fp.end, self._rules[fp.rule].severity, fp.explanation, exemptable=False))
        return stream, self._settle(folded, out, exempt), exempt

    def _automaton_hits(self, stream: Stream, head: int, out: list[_Candidate],
                        exempt: list[tuple[int, int, str]], work: Work | None, text: str | None = None,
                        people: dict[int, list[tuple[str, int, int]]] | None = None) -> None:
        folded = stream.folded
        clean = stream.clean
        if self._singles is not None:
            hits = _single_hits(clean, self._singles)
            fed, calls = len(clean) * len(self._singles), len(self._singles)
        else:
            hits = list(self._small.iter(clean))
            fed, calls = len(clean), 1
        if self._big_ids:
            found, read, looked = self._prefilter.find(clean, stream.codes)
            fed += read
            calls += looked
            if found:
                ids = self._big_ids
                big_hits = [(end, ids[i]) for end, i in found]
                hits = sorted(hits + big_hits) if hits else big_hits
        if work is not None:
            work.automaton_chars += fed
            work.automaton_calls += calls
        if not hits:
            return
        # the folded span of each hit: from its first character to just after its last (noise between them included),
        # all mapped by one binary search
        key_text = self._key_text
        firsts = [end - len(key_text[kid]) + 1 for end, kid in hits]
        places = stream.folded_places(firsts + [end for end, _ in hits])
        starts, stops = places[: len(hits)], [p + 1 for p in places[len(hits) :]]
        if work is not None:
            work.relocation_bytes += sum(len(key_text[kid]) for _, kid in hits) + len(hits)
        for (_, kid), start, stop in zip(hits, starts, stops):
            for entry in self._entries[kid]:
                rule = self._rules[entry.rule]
                if entry.role == EXEMPT:
                    exempt.append((start, stop, rule.id))
                elif entry.role == ANCHOR:  # the pattern is tried only just after its anchor word (住址：…)
                    begin = max(0, start - rule.anchor_before)  # type: ignore[union-attr]
                    end_at = min(len(folded), start + rule.anchor_window)  # type: ignore[union-attr]
                    self._pattern_hits(entry.rule, folded, begin, end_at, out, None)
                elif entry.role == EXPRESSION:
                    judged = expressions.judge_expression(rule, self._expressions[(entry.rule, entry.term)],  # type: ignore[arg-type]
                                                          folded, start, stop)
                    if judged:
                        out.append(self._judged(entry.rule, judged))
                elif entry.role == PERSON:
                    if people is not None:
                        people.setdefault(entry.rule, []).append((entry.term, start, stop))
                    judged = self._people[entry.rule].judge(entry.term, folded, start, stop)
                    if judged:
                        out.append(self._judged(entry.rule, judged))
                else:
                    if entry.role == TERM:
                        cand = self._term(entry, rule, folded, start, stop, len(key_text[kid]))  # type: ignore[arg-type]
                    else:
                        cand = self._marker(entry, rule, folded, start, stop, head, work, text)  # type: ignore[arg-type]
                    if cand:
                        out.append(cand)

    @staticmethod
    def _judged(rule: int, j: expressions.Judged, overlaps: bool = False) -> _Candidate:
        return _Candidate(rule, j.start, j.end, j.severity, j.explanation, suggestion=j.suggestion, message=j.message,
                          overlaps=overlaps)

    def _term(self, entry: _Entry, rule: TermsRule, folded: str, start: int, stop: int, length: int) -> _Candidate | None:
        """A listed term is a term wherever it stands: only a short one (at most SHORT_TERM characters, like 机密 in
        有机密封) or one of a `boundary: word` rule is judged by the words jieba cuts around it."""
        noisy = stop - start != length
        note = f"词表词语“{entry.term}”" + ("（原文字符间夹有空格或分隔符）" if noisy else "")
        if rule.boundary == "word" or length <= SHORT_TERM:
            larger = self._boundaries.enclosing_word(folded, start, stop)
            if larger:
                if rule.boundary == "word":
                    return None
                return _Candidate(entry.rule, start, stop, Severity.INFO, f"{note}；位于更大词语“{larger}”之中，降为提示")
            return _Candidate(entry.rule, start, stop, rule.severity, note + "；词语边界完整")
        return _Candidate(entry.rule, start, stop, rule.severity, note)

    def _marker(self, entry: _Entry, rule: MarkingRule, folded: str, start: int, stop: int, head: int,
                work: Work | None = None, text: str | None = None) -> _Candidate | None:
        # The grammar reads the hit's line. On a line longer than LINE_CAP on either side it reads a view cut there, so
        # that a huge text without line breaks does not cost its whole length per hit. `text` is the original when it
        # has the folded text's length (star look-alikes that folding erased still count as ★).
        lo = max(0, start - LINE_CAP)
        hi = min(len(folded), stop + LINE_CAP)
        view, shift, original = folded, 0, text
        if (lo > 0 and folded.rfind("\n", lo, start) < 0) or (hi < len(folded) and folded.find("\n", stop, hi) < 0):
            view, shift = folded[lo:hi], lo
            original = text[lo:hi] if text is not None else None
        if work is not None:
            a = view.rfind("\n", 0, start - shift) + 1
            b = view.find("\n", stop - shift)
            work.line_chars += (len(view) if b < 0 else b) - a
        s, e, h = start - shift, stop - shift, head - shift
        if rule.grammar == "classification":
            hit = markings.classification(view, s, e, h, original)
        else:
            hit = markings.standalone(view, s, e, self._marker_words, h, rule.title_suffix)
        if hit and hit.kind == "quoted":  # an example of the format in running text: a mention, never more than info
            return _Candidate(entry.rule, start, stop, Severity.INFO, hit.explanation, word=entry.term)
        if hit:  # a marking is never exempted: 工作秘密 on its own line is a marking even though prose may mention it
            return _Candidate(entry.rule, hit.start + shift, hit.end + shift, rule.severity, hit.explanation,
                              exemptable=False)
        if rule.inline_markers or rule.clause_markers:  # instructions in running text; exemption phrases still apply
            hit = markings.inline(view, s, e, entry.term, frozenset(rule.inline_markers),
                                  frozenset(rule.clause_markers), self._marker_words)
            if hit:
                return _Candidate(entry.rule, hit.start + shift, hit.end + shift, rule.severity, hit.explanation)
        if rule.mention_severity is None:
            return None
        return _Candidate(entry.rule, start, stop, rule.mention_severity, f"正文中提及“{entry.term}”，不是标志",
                          word=entry.term)

    def _hidden_hits(self, i: int, text: str, offsets: OffsetMap, out: list[_Candidate]) -> None:
        """`anchor: hidden` patterns: tried on the original text where folding deleted characters (bidi controls, tag
        characters and other invisible ones); nothing to do for the many texts without such characters. With many
        deleted characters the pattern runs once over the whole text instead (one C loop beats a call per run).
        A match consists of deleted characters only. The spans are original offsets and never exempted."""
        rule: PatternRule = self._rules[i]  # type: ignore[assignment]
        many = offsets.deleted > HIDDEN_RUNS
        deleted = fold_table()
        for pattern, named in zip(self._compiled[i], rule.patterns):
            matches = (pattern.finditer(text) if many
                       else (m for a, b in offsets.deleted_runs() for m in pattern.finditer(text, a, b)))
            listed: list[_Candidate] = []
            count = 0
            for m in matches:
                if many and any(deleted.get(ch) != "" for ch in m.group()):
                    continue  # as in the per-run mode: only characters that folding deletes
                count += 1
                if len(listed) < HIDDEN_LISTED:
                    codes = "、".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(m.group()))
                    listed.append(_Candidate(i, m.start(), m.end(), rule.severity, f"模式“{named.name}”；字符 {codes}",
                                             exemptable=False, original=True))
            if count > len(listed):  # thousands of controls: the verdict is the same, the list stays readable
                listed[-1].explanation += f"；共 {count} 处，只列出前 {len(listed)} 处"
            out.extend(listed)

    def _digit_hits(self, stream: Stream, out: list[_Candidate]) -> None:
        digits = stream.digits  # one byte per folded character: digit "0", space or hyphen "_", anything else another byte
        folded = stream.folded
        seen: set[tuple[int, int, int]] = set()
        pos = 0
        last_end = 0
        # every number pattern has a group of min(4, min_digits) digits; where that is fewer than every rule needs, a
        # run of just that group (a year: 2024年) is passed over by the search itself (self._digit_probe)
        search = self._digit_probe.search
        while True:
            m = search(digits, pos)
            if m is None:
                return
            pos = m.start()
            while pos > last_end and digits[pos - 1] in _RUN_BYTES:  # the run may begin with a shorter group (139 1234 5678)
                pos -= 1
            r = _RUN.match(digits, pos)
            assert r is not None
            run_end = last_end = r.end()
            count = digits.count(b"0", pos, run_end)
            if count >= self._min_digits:
                s, e = pos, run_end
                lo, hi = max(0, s - WINDOW), min(len(folded), e + WINDOW)
                for i in self._digit_rules:
                    if count >= self._rules[i].min_digits:  # type: ignore[union-attr]
                        self._pattern_hits(i, folded, lo, hi, out, (s, e), seen)
            pos = run_end

    def _numeral_hits(self, stream: Stream, out: list[_Candidate]) -> None:
        """`anchor: numerals` patterns, around each run of Chinese numerals (a space or hyphen may stand between two)
        long enough for some such rule: found in Stream.digits by one bytes search (numerals are "N" there), where a
        pattern over the whole text would test every character against its class (about 7 ns each: 27 ms on 4 million
        characters). As for digits, a window reaches WINDOW characters beyond the run and a match must overlap it."""
        digits, folded = stream.digits, stream.folded
        seen: set[tuple[int, int, int]] = set()
        pos = 0
        while True:
            m = self._numeral_probe.search(digits, pos)
            if m is None:
                return
            s = m.start()
            e = _NUMERAL_RUN.match(digits, m.end()).end()  # type: ignore[union-attr]
            count = digits.count(b"N", s, e)
            lo, hi = max(0, s - WINDOW), min(len(folded), e + WINDOW)
            for i in self._numeral_rules:
                if count >= self._rules[i].min_numerals:  # type: ignore[union-attr]
                    self._pattern_hits(i, folded, lo, hi, out, (s, e), seen)
            pos = e

    def _pattern_hits(self, i: int, folded: str, lo: int, hi: int, out: list[_Candidate],
                      run: tuple[int, int] | None, seen: set[tuple[int, int, int]] | None = None) -> None:
        rule: PatternRule = self._rules[i]  # type: ignore[assignment]
        validate = VALIDATORS[rule.validator] if rule.validator else None
        for pattern, gate, named in zip(self._compiled[i], self._gates[i], rule.patterns):
            if gate is not None and gate.search(folded, lo, hi) is None:
                continue  # no character that every match needs: no match in this window
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
                if validate is not None and ok and rule.validator in SENTENCE_CHECKS:  # e.g. a facility's coordinates
                    ok, why = SENTENCE_CHECKS[rule.validator](folded, s, e)
                    note += f"；{why}"
                    if not ok:
                        continue
                if validate is None or ok:
                    found = False
                    for ctx in rule.context:
                        near = folded[max(0, s - ctx.window) : e + ctx.window]
                        word = next((w for w in ctx.words if w in near), None)
                        if word:
                            severity = ctx.severity
                            note += f"；附近有“{word}”，定为“{SEVERITY_LABEL[severity]}”"
                            found = True
                            break
                    if rule.require_context and not found:
                        continue
                out.append(_Candidate(i, s, e, severity, note))

    def _settle(self, folded: str, out: list[_Candidate], exempt: list[tuple[int, int, str]]) -> list[_Candidate]:
        """Drop exempted hits, mentions that are not words (有机密封), then duplicates; order by position."""
        kept: dict[tuple[int, int, int, bool], _Candidate] = {}
        widest: dict[int, int] = {}  # rule -> end of the widest span so far (inputs sorted by start, longest first)
        spans = sorted((s, e) for s, e, _ in exempt)
        starts = [s for s, _ in spans]
        reach: list[int] = []  # reach[k]: the furthest end among spans[0..k] (a span covering c starts at or before it)
        for _, e in spans:
            reach.append(max(e, reach[-1]) if reach else e)
        for c in sorted(out, key=lambda c: (c.original, c.start, -c.end)):
            if not c.original and not c.overlaps and widest.get(c.rule, -1) >= c.end:
                continue  # inside a longer hit of the same rule (内部 inside 内部资料)
            if c.exemptable:
                k = bisect_right(starts, c.start) - 1
                if k >= 0 and reach[k] >= c.end:
                    continue
                c.explanation += "；已核对豁免短语，未落入其范围"
            if c.word and not self._boundaries.starts_word(folded, c.start, c.end):
                continue
            key = (c.rule, c.start, c.end, c.original)
            if key not in kept:
                kept[key] = c
                if not c.original and not c.overlaps:
                    widest[c.rule] = max(widest.get(c.rule, -1), c.end)
        return list(kept.values())

    def _findings(self, text: str, stream: Stream, candidates: list[_Candidate]) -> list[Finding]:
        """Findings in original offsets, ordered by position."""
        offsets: OffsetMap = stream.offsets
        findings = []
        for c in candidates:
            if c.original:
                s, e = c.start, c.end
            else:
                s, e = original_span(text, offsets, c.start, c.end)
                if e - s != c.end - c.start:
                    c.explanation += "；原文中夹有不可见字符或组合字符，已按读者所见的文字比对"
            findings.append(self._finding(text, c, s, e))
        findings.sort(key=lambda f: (f.start, f.end, f.rule))
        return findings

    def _finding(self, text: str, c: _Candidate, start: int, end: int) -> Finding:
        rule = self._rules[c.rule]
        lo = max(0, start - CONTEXT_CHARS)
        context = text[lo : end + CONTEXT_CHARS].replace("\n", " ").replace("\r", " ").replace("\t", " ")
        return Finding(rule.id, rule.category, c.severity, start, end, text[start:end], context,
                       c.message or rule.message or rule.category, c.explanation, rule_title=rule.title,
                       suggestion=c.suggestion)


# Explicit per-process sharing for `Scanner.shared` only (keyed by rule content, so edited rules load anew).
_SHARED: dict[tuple[str, tuple[Path, ...]], Scanner] = {}
_SHARED_LOCK = threading.Lock()

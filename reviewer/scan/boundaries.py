"""Word boundaries judged by jieba on a small window around a hit (never on the whole text).

机密 inside 有机密封 is not the word 机密: jieba cuts 有机/密封, so the hit does not start on a token boundary. The
judgement is asked only for short hits (marking words mentioned in prose, terms of one or two characters) and for
rules with `boundary: word`; the scanner never downgrades a listed term of three or more characters because jieba
glues its last characters to the next word (青鸾四号工程|建设).

Every rule term is added to this tokenizer's private dictionary (jieba's global one is never touched), so jieba cuts a
listed term as one word where its own parts would be: terms that are judged get the frequency jieba's `suggest_freq`
gives (the term is preferred to its own split); the other terms, which are only there so that the words around a short
hit are cut as the rules see them, get a cheaper estimate from their characters."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

WINDOW = 12


class Boundaries:
    """Lazily initialised jieba tokenizer (its dictionary takes about a second to load; many scans never need it)."""

    def __init__(self, groups: Iterable[tuple[Sequence[str], bool]] = (), short: int = 2) -> None:
        """`groups`: the terms of each terms rule and whether the rule asks `boundary: word`. Terms of at most `short`
        characters and all terms of word rules are judged; the dictionary is built when first needed."""
        self._tokenizer = None
        self._lock = threading.Lock()
        self._groups = list(groups)
        self._short = short

    def _split(self) -> tuple[list[str], list[str]]:
        from reviewer.scan.normalize import visible_terms

        judged: set[str] = set()
        others: set[str] = set()
        for terms, word_rule in self._groups:
            for visible in visible_terms(list(terms)):
                (judged if word_rule or len(visible) <= self._short else others).add(visible)
        return sorted(judged), sorted(others - judged)

    def _get(self):  # type: ignore[no-untyped-def]
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    self._add_terms(tokenizer)
                    self._tokenizer = tokenizer
        return self._tokenizer

    def _add_terms(self, tokenizer) -> None:  # type: ignore[no-untyped-def]
        judged, others = self._split()
        freq = tokenizer.FREQ
        for word in judged:
            if len(word) >= 2 and not freq.get(word):
                tokenizer.add_word(word, freq=tokenizer.suggest_freq(word, tune=False))
        total = float(tokenizer.total)
        for word in others:
            if len(word) >= 2 and not freq.get(word):
                p = 1.0
                for ch in word:
                    p *= freq.get(ch, 1) / total
                tokenizer.add_word(word, freq=int(p * total) + 1)

    def knows(self, word: str) -> bool:
        """True when `word` is in this tokenizer's dictionary (jieba's words plus the rule terms)."""
        return bool(self._get().FREQ.get(word))

    def starts_word(self, text: str, start: int, end: int) -> bool:
        """True when a word starts at `start` (机密 in 机密文件 does; in 有机密封 it does not)."""
        lo = max(0, start - WINDOW)
        pos = lo
        for token in self._get().cut(text[lo : min(len(text), end + WINDOW)], HMM=False):
            if pos == start:
                return True
            if pos > start:
                return False
            pos += len(token)
        return pos == start

    def enclosing_word(self, text: str, start: int, end: int) -> str | None:
        """None when [start, end) starts and ends on token boundaries; else the larger word(s) the hit sits in."""
        lo = max(0, start - WINDOW)
        hi = min(len(text), end + WINDOW)
        window = text[lo:hi]
        cuts = {0}
        pos = 0
        tokens = []
        for token in self._get().cut(window, HMM=False):
            tokens.append((pos, pos + len(token), token))
            pos += len(token)
            cuts.add(pos)
        s, e = start - lo, end - lo
        if s in cuts and e in cuts:
            return None
        return "".join(t for a, b, t in tokens if b > s and a < e)

"""Word boundaries judged by jieba on a small window around a hit (never on the whole text).
机密 inside 有机密封 is not the word 机密: jieba cuts 有机/密封, so the hit does not start on a token boundary."""

from __future__ import annotations

import logging
import threading

WINDOW = 12


class Boundaries:
    """Lazily initialised jieba tokenizer (its dictionary takes about a second to load; many scans never need it)."""

    def __init__(self) -> None:
        self._tokenizer = None
        self._lock = threading.Lock()

    def _get(self):  # type: ignore[no-untyped-def]
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    self._tokenizer = tokenizer
        return self._tokenizer

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

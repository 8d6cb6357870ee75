"""Limits that protect the workers from hostile or broken input.

The parse time limit is a deadline checked inside every extractor's loops (per paragraph batch, sheet row, PDF page,
HTML chunk) rather than a subprocess per document: it costs nothing and keeps extraction in-process for the CLI and the
benchmarks. Its limit: one library call that never returns to our loop (a pathological PDF page inside pypdf) is not
interrupted; the worker's task time limit is the backstop for that case (docs/extraction.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from reviewer.errors import LimitExceeded


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024  # largest accepted upload
    max_unzipped_bytes: int = 200 * 1024 * 1024  # total decompressed size of a zip-based document
    max_zip_entries: int = 5000
    max_seconds: float = 60.0  # parse time limit per document
    max_text_chars: int = 50 * 1024 * 1024
    max_nesting: int = 2  # documents embedded in documents (attachments, OLE objects) read this deep
    max_archive_depth: int = 3  # archives inside archives (.zip in .zip) read this deep; deeper is an error
    max_archive_members: int = 2000  # files in all archives of one input together
    max_member_bytes: int = 50 * 1024 * 1024  # one archive member, decompressed (counted while inflating)


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Budget:
    """The running account of one document's extraction against its Limits: time, decompressed bytes, text."""

    limits: Limits
    started: float = field(default_factory=lambda: time.monotonic())  # looked up per call: tests move the clock
    unzipped: int = 0
    chars: int = 0
    members: int = 0  # archive members met so far (all nesting levels)

    def check_time(self) -> None:
        if time.monotonic() - self.started > self.limits.max_seconds:
            raise LimitExceeded(f"解析超过时间上限 {self.limits.max_seconds:g} 秒，文件可能过大或结构异常，未能读完")

    def remaining_seconds(self) -> float:
        return max(0.0, self.limits.max_seconds - (time.monotonic() - self.started))

    def add_unzipped(self, n: int) -> None:
        self.unzipped += n
        if self.unzipped > self.limits.max_unzipped_bytes:
            raise LimitExceeded(
                f"压缩文档解压后超过 {self.limits.max_unzipped_bytes} 字节上限（疑似“压缩炸弹”），拒绝处理"
            )

    def add_chars(self, n: int) -> None:
        self.chars += n
        if self.chars > self.limits.max_text_chars:
            raise LimitExceeded(f"提取出的文字超过 {self.limits.max_text_chars} 字符上限，拒绝处理")

    def add_members(self, n: int) -> None:
        self.members += n
        if self.members > self.limits.max_archive_members:
            raise LimitExceeded(f"压缩包内的文件总数超过 {self.limits.max_archive_members} 个上限，拒绝处理")

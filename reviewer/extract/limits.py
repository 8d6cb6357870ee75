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
    # What a page may make the engines do, counted before they do it (extract/workload.py, docs/extraction.md).
    # A dense A4 page of LibreOffice-printed Chinese is about 3,000 glyphs and 10,000 operators.
    max_page_operators: int = 300_000  # content operators, forms expanded as often as they are painted
    max_page_glyphs: int = 30_000  # bytes of shown strings (one or two per glyph), forms expanded
    max_page_paints: int = 2_000  # XObjects painted, inline images, Type3 glyph procedures run
    max_image_pixels: int = 150_000_000  # one image's declared pixels (an A4 page at 600 dpi is 35 million)
    max_page_pixels: int = 400_000_000  # all images a page paints, as often as it paints them
    work_floor: int = 200_000  # work units (operators + glyphs + 20 per paint) any document may ask for …
    work_per_byte: int = 10  # … plus this many per byte of the file: beyond that the work is out of proportion
    max_cells: int = 2_000_000  # spreadsheet cells in all sheets together
    max_formula_cells: int = 200_000  # cells with a formula (each is evaluated; LibreOffice recalculates them)
    max_html_depth: int = 2_000  # elements open inside each other (browsers flatten past 512; real pages stay under 100)
    max_html_elements: int = 1_000_000


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Budget:
    """The running account of one document's extraction against its Limits: time, decompressed bytes, text."""

    limits: Limits
    started: float = field(default_factory=lambda: time.monotonic())  # looked up per call: tests move the clock
    unzipped: int = 0
    chars: int = 0
    members: int = 0  # archive members met so far (all nesting levels)
    cells: int = 0  # spreadsheet cells and formula cells met so far (all sheets)
    formulas: int = 0

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

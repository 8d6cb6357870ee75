"""Limits that protect the workers from hostile or broken input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024  # largest accepted upload
    max_unzipped_bytes: int = 200 * 1024 * 1024  # total decompressed size of a zip-based document
    max_zip_entries: int = 5000
    max_seconds: float = 60.0  # parse time limit per document
    max_text_chars: int = 50 * 1024 * 1024


DEFAULT_LIMITS = Limits()

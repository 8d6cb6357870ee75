"""bytes + file name -> text parts with locations. Fail closed: anything unreadable is an `Extraction` with `error`."""

from __future__ import annotations

from pathlib import PurePath

from reviewer.errors import ExtractionError
from reviewer.extract.limits import DEFAULT_LIMITS, Limits
from reviewer.extract.model import Extraction, ExtractionIssue, TextPart
from reviewer.extract.text import extract_text

__all__ = ["extract", "Extraction", "ExtractionIssue", "TextPart", "Limits", "DEFAULT_LIMITS"]

_TEXT_SUFFIXES = {"", ".txt", ".text", ".md", ".csv"}


def extract(data: bytes, filename: str = "", limits: Limits = DEFAULT_LIMITS) -> Extraction:
    """Read every text part of a document. Never raises for bad input: returns an Extraction with `error` set."""
    suffix = PurePath(filename).suffix.lower()
    try:
        if len(data) > limits.max_bytes:
            raise ExtractionError(f"文件大小 {len(data)} 字节，超过上限 {limits.max_bytes} 字节")
        if suffix in _TEXT_SUFFIXES:
            return extract_text(data)
        raise ExtractionError(f"不支持的文件类型“{suffix}”，无法审查")
    except ExtractionError as exc:
        return Extraction(kind=suffix.lstrip("."), error=exc.message)

"""Public reference lists: text the officer knows to be public (laws, news, speeches, the unit's own released items)
turned into the same hashed form as a registration's selections, so that a registration can leave out the passages
it shares with public text. A passage that is already public is not a leak; without this, a public draft that quotes
the same law as an internal document is reported as copied from it.

A list holds the *public* 64-bit hashes of the winnowed selections of public text (the same values the common-shingle
list holds): they are hashes of public text, nothing secret, so no key is needed and one list serves every
registration. Winnowed selections suffice: a registered selection whose winnowing window lies inside a stretch shared
with the public text is selected there too (the same window has the same minimum); only selections at the very ends
of a shared stretch may be missed. File: magic `RVPB\\x01\\x00\\x00\\x00`, count (u64), sorted unique hashes (u64, little
endian)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from reviewer.scan.fingerprints.grams import Prepared

PUBLIC_MAGIC = b"RVPB\x01\x00\x00\x00"


def public_hashes_of(texts: Iterable[str]) -> np.ndarray:
    """Sorted unique public hashes of the winnowed selections of every text."""
    parts = [np.unique(Prepared.of(t).hashes) for t in texts if t.strip()]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)


def write_public(path: Path, hashes: np.ndarray) -> None:
    values = np.unique(hashes.astype(np.uint64))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PUBLIC_MAGIC + np.array([len(values)], "<u8").tobytes() + values.astype("<u8").tobytes())


def read_public(path: Path) -> np.ndarray:
    """The hashes of a public reference list; ValueError (Chinese) when the file is not one or is damaged."""
    blob = path.read_bytes()
    if blob[:8] != PUBLIC_MAGIC or len(blob) < 16:
        raise ValueError(f"{path} 不是公开文本参照列表（文件头不符；请用 reviewer fingerprints public build 生成）")
    count = int(np.frombuffer(blob, "<u8", 1, 8)[0])
    if len(blob) != 16 + 8 * count:
        raise ValueError(f"公开文本参照列表 {path} 长度与记录数不符（被截断或损坏）")
    values = np.frombuffer(blob, "<u8", count, 16).astype(np.uint64)
    if count and np.any(values[1:] <= values[:-1]):
        raise ValueError(f"公开文本参照列表 {path} 未排序（文件被改动）")
    return values

"""Build the default common-shingle list of registered-document fingerprints (docs/fingerprints.md).

    .venv/bin/python scripts/build_common_shingles.py [--check]

Reads the public law and government-report texts in tests/data/public-gov and tests/data/corpus (law-*, gwr-*), and
writes reviewer/scan/data/common-shingles.u64: the sorted public 64-bit hashes (little endian) of every character gram
that occurs in at least MIN_DOCUMENTS of them. Such grams are ordinary public prose (enactment clauses, 坚持稳中求进工作
总基调 …) and are never stored for a registered document. `--check` exits 1 when the shipped file is not what the
texts give (tests/fingerprints runs it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SOURCES = (REPO / "tests" / "data" / "public-gov", REPO / "tests" / "data" / "corpus")
MIN_DOCUMENTS = 2


def source_files() -> list[Path]:
    seen: dict[str, Path] = {}
    for directory in SOURCES:
        for path in sorted(directory.glob("*.txt")):
            if path.name.startswith(("law-", "gwr-")):
                seen.setdefault(path.name, path)
    return [seen[name] for name in sorted(seen)]


def build() -> bytes:
    from reviewer.scan.fingerprints import common_hashes_of

    texts = [p.read_text(encoding="utf-8") for p in source_files()]
    return common_hashes_of(texts, MIN_DOCUMENTS).astype("<u8").tobytes()


def main() -> int:
    from reviewer.scan.fingerprints import COMMON_FILE

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="只核对已提交的列表，不写文件")
    args = ap.parse_args()
    data = build()
    if args.check:
        same = COMMON_FILE.is_file() and COMMON_FILE.read_bytes() == data
        print("常用语列表与源文本一致" if same else "常用语列表与源文本不一致，请重新运行本脚本")
        return 0 if same else 1
    COMMON_FILE.parent.mkdir(parents=True, exist_ok=True)
    COMMON_FILE.write_bytes(data)
    print(f"已写入 {COMMON_FILE}：{len(data) // 8} 个常用片段，来自 {len(source_files())} 份公开文本")
    return 0


if __name__ == "__main__":
    sys.exit(main())

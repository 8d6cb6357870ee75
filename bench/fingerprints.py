"""Registered documents at scale: 10,000 registered documents (~30 M characters) synthesised from the public-gov
corpus by shuffling its paragraphs, in one process.

    .venv/bin/python bench/fingerprints.py [--documents 10000] [--chars 3000] [--reps 3] [--corpus DIR]

Each synthetic document is ~--chars characters of paragraphs drawn at random from the corpus; one character in 40
is replaced by a random ideograph so that the documents do not share most of their grams (shuffled copies of 4 M
characters would otherwise index as far fewer distinct selections than 30 M characters of real documents do).

Prints
  * build: the sources are written as .txt files and registered the way `reviewer fingerprints build` does it
    (reviewer.extract -> paragraphs -> winnowing -> keyed hashes -> data file), in MB/s of UTF-8 source and M chars/s
    (CPU time of this process; wall time alongside);
  * index: bytes of the arrays held in memory (and the growth of the peak RSS while loading the rule);
  * scan: the registered documents are synthesised from the law- and gwr- documents; the news transcripts (xwlb-)
    are the drafts (nothing copied: the normal case), scanned with the built-in rules, with and without the fingerprint
    rule loaded, median of --reps; the ratio (target >= 0.5). Also the worst case: drafts that are the very
    documents the registered set was made of (every paragraph reproduced, thousands of findings);
  * recall: 200 passages of 120 characters copied from registered documents into public drafts, found with the
    right label and paragraph.
Targets (issue 13): build >= 2 MB/s, index <= 300 MB, scan ratio >= 0.5. Not a timed test: the figures go into
docs/fingerprints.md and the README."""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 1e6


def corpus(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.txt"))}


def synthesise(texts: list[str], n: int, chars: int, seed: int = 13) -> list[str]:
    from reviewer.scan.fingerprints import paragraphs_of

    rnd = random.Random(seed)
    paragraphs = [p for t in texts for p in paragraphs_of(t) if len(p) >= 20]
    ideographs = [chr(c) for c in range(0x4E00, 0x9FA5)]
    docs = []
    for _ in range(n):
        out: list[str] = []
        size = 0
        while size < chars:
            p = list(rnd.choice(paragraphs))
            for i in range(rnd.randrange(40), len(p), 40):
                p[i] = rnd.choice(ideographs)
            out.append("".join(p))
            size += len(p)
        docs.append("\n".join(out))
    return docs


def timed(fn, reps: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    cpu, wall = [], []
    for _ in range(reps):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "public-gov")
    ap.add_argument("--documents", type=int, default=10_000)
    ap.add_argument("--chars", type=int, default=3000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, metavar="DIR", help="把生成的规则留在 DIR（供剖析）")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        args.corpus = REPO / "tests" / "data" / "public-gov"

    from reviewer.cli.fingerprints import read_sources
    from reviewer.scan import fingerprints as fp
    from reviewer.scan.scanner import Scanner
    from reviewer.settings import BUILTIN_RULES_DIR

    everything = corpus(args.corpus)
    made_of = [t for n, t in everything.items() if not n.startswith("xwlb-")]
    texts = [t for n, t in everything.items() if n.startswith("xwlb-")]
    if not texts:  # in-repo copies only (no news transcripts): drafts are every other document
        made_of, texts = made_of[::2], made_of[1::2]
    corpus_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    copied_mb = sum(len(t.encode("utf-8")) for t in made_of) / 1e6
    docs = synthesise(made_of, args.documents, args.chars)
    total_chars = sum(len(d) for d in docs)
    total_mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    print(f"登记文件：{len(docs)} 份，{total_chars / 1e6:.1f} M 字，{total_mb:.1f} MB（UTF-8），由 {args.corpus} 的段落打乱合成")

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        paths = []
        for i, d in enumerate(docs):
            path = src / f"内部文件{i:05d}.txt"
            path.write_text(d, encoding="utf-8")
            paths.append(path)
        rules = args.keep or Path(tmp) / "rules"
        c0, w0 = time.process_time(), time.perf_counter()
        sources = read_sources(paths, [])
        c1 = time.process_time()
        builder = fp.Builder(common=fp.default_common())
        for label, paragraphs in sources:
            builder.add(label, paragraphs)
        builder.write(rules, "bench-registered")
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        print(f"登记（读取+指纹+写出）：{total_mb / cpu:.2f} MB/s，{total_chars / cpu / 1e6:.2f} M 字/s"
              f"（CPU {cpu:.1f} s，其中读取 {c1 - c0:.1f} s；墙钟 {wall:.1f} s）  目标 ≥ 2 MB/s")
        data_bytes = (rules / "bench-registered.fp").stat().st_size
        del sources, builder

        base = Scanner.load(BUILTIN_RULES_DIR, defaults=False)
        base.scan("机密 有机密封 青鸾四号")
        rss0 = current_rss_mb()
        t = time.perf_counter()
        with_fp = Scanner.load(BUILTIN_RULES_DIR, rules, defaults=False)
        load = time.perf_counter() - t
        rss1 = current_rss_mb()
        with_fp.scan("机密 有机密封 青鸾四号")
        index = with_fp._fingerprints
        assert index is not None
        print(f"索引：{index.nbytes / 1e6:.1f} MB 数组（数据文件 {data_bytes / 1e6:.1f} MB；加载后常驻内存增加 "
              f"{rss1 - rss0:.1f} MB；加载 {load:.2f} s）  目标 ≤ 300 MB")

        def scan_all_of(scanner: Scanner, items: list[str]) -> None:
            for text in items:
                scanner.scan(text)

        def scan_all(scanner: Scanner) -> None:
            scan_all_of(scanner, texts)

        cpu_base, wall_base = timed(lambda: scan_all(base), args.reps)
        cpu_fp, wall_fp = timed(lambda: scan_all(with_fp), args.reps)
        print(f"扫描 {len(texts)} 篇（{corpus_mb:.1f} MB）：不加载指纹 {corpus_mb / cpu_base:.1f} MB/s（CPU {cpu_base:.2f} s，"
              f"墙钟 {wall_base:.2f} s）；加载指纹 {corpus_mb / cpu_fp:.1f} MB/s（CPU {cpu_fp:.2f} s，墙钟 {wall_fp:.2f} s）；"
              f"比值 {cpu_base / cpu_fp:.2f}  目标 ≥ 0.5")
        flagged = sum(1 for text in texts if any(f.rule == "bench-registered" for f in with_fp.scan(text).findings))
        print(f"  其中被判为摘抄登记文件的：{flagged}/{len(texts)} 篇（与登记文件的来源文档不同；共同的套话已由常用语列表剔除）")
        cpu_worst, wall_worst = timed(lambda: scan_all_of(with_fp, made_of), 1)
        cpu_wbase, _ = timed(lambda: scan_all_of(base, made_of), 1)
        n_worst = sum(sum(f.rule == "bench-registered" for f in with_fp.scan(t).findings) for t in made_of[:50])
        print(f"最坏情况（稿件就是登记文件的来源，每段都被复制）：{copied_mb / cpu_worst:.1f} MB/s（CPU {cpu_worst:.2f} s），"
              f"比值 {cpu_wbase / cpu_worst:.2f}；前 50 篇共 {n_worst} 条发现")

        rnd = random.Random(5)
        found = 0
        for _ in range(200):
            i = rnd.randrange(len(docs))
            paras = fp.paragraphs_of(docs[i])
            j = max(range(len(paras)), key=lambda k: len(paras[k]))
            start = rnd.randrange(max(1, len(paras[j]) - 120))
            draft = "各单位：\n" + paras[j][start : start + 120] + "\n特此通知。"
            want = f"与登记文件“内部文件{i:05d}”第{j + 1}段"
            if any(f.explanation.startswith(want) for f in with_fp.scan(draft).findings):
                found += 1
        print(f"抽查：200 段复制的 120 字段落中找到 {found} 段（名称与段号都对）")
    print(f"峰值常驻内存 {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""Scanner throughput against baselines, in one process, on the public-gov corpus (≥10 MB).

    .venv/bin/python bench/scan_throughput.py [--reps 3] [--corpus DIR] [--terms 100000] [--no-jieba] [--no-accel]

Prints MB/s (UTF-8 bytes of input per second, median of --reps runs) for
  * this scanner: built-in rules + 100,000 extra terms from jieba's dictionary that do not occur in the corpus,
    every feature on (folding, noise between characters, markings, validators, jieba boundaries, exemptions), on every
    document one by one and on the whole corpus joined into one text (a 10 MB 年鉴 or merged attachment);
  * plain pyahocorasick: one unicode automaton of the same terms, `for end, value in A.iter(text)`, both ways;
  * hyperscan's literal matcher (`hyperscan`, installed for the benchmark only; the row is skipped when it is not
    importable) on the same terms, UTF-8, over the one text;
  * jieba first: segment every document with jieba, look every token up in a set of the same terms;
the ratios, the work counted by `Scanner.work` (characters compared with keys or fed to automata, and read to map
hits back: linear),
the rule-load time for the 100k terms and the peak RSS of per-document and one-text scanning (each measured in a forked
child with the scanner loaded). Targets: per document ≥0.8× the one-text rate (what the pipeline pays, one document
per task, against the same bytes in one call); one text ≥0.3× hyperscan; one text ≥3× pyahocorasick; ≥30× jieba first;
load ≤2 s; peak RSS ≤400 MB. Also printed: the fixed cost per document, (per-document CPU − the same bytes' share of the
one-text CPU) / documents; and the two target ratios measured in alternating rounds (per document, one text, hyperscan,
one right after the other, --reps rounds; median and range of the per-round ratios), which a shared machine's drift
moves far less than ratios of medians taken a minute apart. Not a timed test: the figures go into docs/scanning.md."""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def corpus(directory: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.txt"))]


def absent_terms(texts: list[str], n: int) -> list[str]:
    """The first n words (2+ characters) of jieba's dictionary that occur in none of the texts, neither as written
    nor after the scanner's normalisation (traditional→simplified, noise such as line breaks between characters)."""
    import ahocorasick
    import jieba

    from reviewer.scan.normalize import Stream, term_key

    words = []
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            word = line.split(" ", 1)[0]
            if len(word) >= 2:
                words.append(word)
    automaton = ahocorasick.Automaton()
    for i, w in enumerate(words):
        key = term_key(w).decode("utf-8")
        if key in automaton:
            automaton.add_word(key, automaton.get(key) + [i])
        else:
            automaton.add_word(key, [i])
    automaton.make_automaton()
    present: set[int] = set()
    for text in texts:
        for _, ids in automaton.iter(Stream.of(text).clean):
            present.update(ids)
    out = [w for i, w in enumerate(words) if i not in present][:n]
    if len(out) < n:
        raise SystemExit(f"只找到 {len(out)} 个未出现的词")
    return out


def timed(fn, reps: int) -> float:  # type: ignore[no-untyped-def]
    """Median CPU time of this process (the benchmark machine is shared, so wall time mostly measures the others;
    the wall-clock median is printed alongside)."""
    cpu, wall = [], []
    for _ in range(reps):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    WALL.append(statistics.median(wall))
    return statistics.median(cpu)


WALL: list[float] = []


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peak_rss(fn) -> float:  # type: ignore[no-untyped-def]
    """Peak RSS (MB) of a forked child that runs fn once: the scanner's memory plus what fn itself needs."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read)
        try:
            fn()
            os.write(write, f"{rss_mb():.1f}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        out = fh.read()
    os.waitpid(pid, 0)
    return float(out or "nan")


def hyperscan_matcher(terms: list[str]):  # type: ignore[no-untyped-def]
    """A block-mode hyperscan database of the terms as UTF-8 literals, or None when hyperscan is not importable."""
    try:
        import hyperscan
    except ImportError:
        return None
    literals = sorted({t.encode("utf-8") for t in terms if t})
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=literals, ids=list(range(len(literals))), elements=len(literals), flags=0, literal=True)
    return db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "public-gov")
    ap.add_argument("--terms", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-jieba", action="store_true", help="skip the slow jieba-first baseline")
    ap.add_argument("--no-accel", action="store_true",
                    help="the numpy passes instead of the C accelerator (reviewer/scan/accel.py), for before/after")
    args = ap.parse_args()

    from reviewer import Scanner
    from reviewer.scan import accel

    if args.no_accel:
        accel.native = None
    print("扫描器的逐字符处理：" + ("C 加速模块（reviewer/scan/_accel.c）" if accel.native is not None
                                 else "numpy（未构建 C 加速模块，或用了 --no-accel / REVIEWER_SCAN_ACCEL=0）"))

    texts = corpus(args.corpus)
    joined = "\n".join(texts)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    mb_joined = len(joined.encode("utf-8")) / 1e6
    print(f"语料：{len(texts)} 篇，{mb:.2f} MB（UTF-8），{args.corpus}；合为一篇 {mb_joined:.2f} MB")
    extra = absent_terms(texts, args.terms)
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp)
        (rules / "bench-extra-terms.terms.txt").write_text("\n".join(extra) + "\n", encoding="utf-8")
        (rules / "bench-extra-terms.yaml").write_text(
            "id: bench-extra-terms\nkind: terms\nseverity: block\nterms_file: bench-extra-terms.terms.txt\n", encoding="utf-8"
        )
        rss_before = rss_mb()
        load_times, load_cpu = [], []
        for _ in range(args.reps):
            t, c = time.perf_counter(), time.process_time()
            scanner = Scanner.load(rules)
            load_times.append(time.perf_counter() - t)
            load_cpu.append(time.process_time() - c)
        load, load_c = statistics.median(load_times), statistics.median(load_cpu)
    scanner.scan("机密 有机密封 青鸾四号")  # first call initialises jieba (lazily; part of neither figure)

    def ours() -> None:
        for text in texts:
            scanner.scan(text)

    def ours_one() -> None:
        scanner.scan(joined)

    t_ours = timed(ours, args.reps)
    t_one = timed(ours_one, args.reps)
    rss_scanner = rss_mb()
    rss_docs = child_peak_rss(ours)
    rss_one = child_peak_rss(ours_one)
    nonpass = sum(1 for text in texts if scanner.scan(text).verdict != "pass")
    work_docs = [scanner.work(text) for text in texts]
    work_one = scanner.work(joined)
    fed_docs = sum(w.automaton_chars for w in work_docs)
    total_docs = sum(w.total for w in work_docs)
    calls_docs = sum(w.automaton_calls for w in work_docs)

    import ahocorasick

    same_terms = list(extra)
    for lr in scanner.ruleset.rules:
        rule = lr.rule
        same_terms += list(lr.terms) + list(getattr(rule, "markers", []) or []) + list(getattr(rule, "phrases", []) or [])
    automaton = ahocorasick.Automaton()
    for i, term in enumerate(same_terms):
        automaton.add_word(term, i)
    automaton.make_automaton()

    def plain() -> None:
        for text in texts:
            for _end, _value in automaton.iter(text):
                pass

    def plain_one() -> None:
        for _end, _value in automaton.iter(joined):
            pass

    t_plain = timed(plain, args.reps)
    t_plain_one = timed(plain_one, args.reps)

    t_jieba = None
    if not args.no_jieba:
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        term_set = set(same_terms)

        def jieba_first() -> None:
            for text in texts:
                for token in jieba.cut(text):
                    if token in term_set:
                        pass

        t_jieba = timed(jieba_first, args.reps)

    rss_baselines = rss_mb()
    t = time.perf_counter()
    hs_db = hyperscan_matcher(same_terms)
    hs_compile = time.perf_counter() - t
    t_hs = None
    if hs_db is not None:
        data = joined.encode("utf-8")
        hs_hits: list[int] = []

        def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            hs_hits.append(end)

        def hs_one() -> None:
            hs_hits.clear()
            hs_db.scan(data, match_event_handler=on_match)

        t_hs = timed(hs_one, args.reps)

    # the same three measurements again, one after the other in each round (a shared machine drifts by tens of per cent
    # within a minute, so ratios of medians taken a minute apart move with it): the median of the per-round ratios
    rounds: list[tuple[float, float, float | None]] = []
    for _ in range(args.reps):
        c = time.process_time()
        ours()
        r_docs = time.process_time() - c
        c = time.process_time()
        ours_one()
        r_one = time.process_time() - c
        r_hs = None
        if hs_db is not None:
            c = time.process_time()
            hs_one()
            r_hs = time.process_time() - c
        rounds.append((r_docs, r_one, r_hs))

    wall = iter(WALL)
    w_ours, w_one, w_plain, w_plain_one = next(wall), next(wall), next(wall), next(wall)
    w_jieba = next(wall) if t_jieba is not None else None
    w_hs = next(wall) if t_hs is not None else None
    ours_mbs, one_mbs = mb / t_ours, mb_joined / t_one
    plain_mbs, plain_one_mbs = mb / t_plain, mb_joined / t_plain_one
    print(f"（MB/s 按本进程 CPU 时间计，{args.reps} 次中位数；括号内另列墙钟时间）")
    print(f"本扫描器，逐篇（内置规则 + {len(extra)} 个额外词语，全部功能）：{ours_mbs:8.1f} MB/s（CPU {t_ours:.3f} s，墙钟 {w_ours:.3f} s）")
    print(f"本扫描器，全部语料合为一篇：                          {one_mbs:8.1f} MB/s（CPU {t_one:.3f} s，墙钟 {w_one:.3f} s）")
    print(f"普通 pyahocorasick（unicode，同一词表），逐篇：          {plain_mbs:8.2f} MB/s（CPU {t_plain:.3f} s，墙钟 {w_plain:.3f} s）")
    print(f"普通 pyahocorasick，合为一篇：                          {plain_one_mbs:8.2f} MB/s（CPU {t_plain_one:.3f} s，墙钟 {w_plain_one:.3f} s）")
    if t_hs is not None:
        hs_mbs = mb_joined / t_hs
        print(f"hyperscan 字面量匹配（同一词表，UTF-8），合为一篇：       {hs_mbs:8.1f} MB/s（CPU {t_hs:.3f} s，墙钟 {w_hs:.3f} s；"
              f"编译 {hs_compile:.2f} s）")
    else:
        print("hyperscan：未安装（pip install hyperscan），跳过这一行")
    if t_jieba is not None:
        print(f"先用 jieba 分词再查集合，逐篇：                        {mb / t_jieba:8.2f} MB/s（CPU {t_jieba:.3f} s，墙钟 {w_jieba:.3f} s）")
    fixed_ms = (t_ours - t_one * mb / mb_joined) / len(texts) * 1000
    print(f"倍数：逐篇 / 合为一篇 {ours_mbs / one_mbs:.2f}×（目标 ≥0.8×）；每篇固定开销 {fixed_ms:.3f} ms"
          f"（逐篇 CPU 减去同样字节在合为一篇中的份额，除以篇数）")
    if t_hs is not None:
        print(f"倍数：合为一篇 / hyperscan {one_mbs / hs_mbs:.2f}×（目标 ≥0.3×）")
    per_doc = sorted((mb / d) / (mb_joined / o) for d, o, _ in rounds)
    line = (f"交替测量 {len(rounds)} 轮（每轮依次：逐篇、合为一篇、hyperscan）：逐篇 / 合为一篇 中位数 {statistics.median(per_doc):.2f}×"
            f"（{per_doc[0]:.2f}–{per_doc[-1]:.2f}）")
    if t_hs is not None:
        vs_hs = sorted((mb_joined / o) / (mb_joined / h) for _, o, h in rounds if h)
        line += f"；合为一篇 / hyperscan 中位数 {statistics.median(vs_hs):.2f}×（{vs_hs[0]:.2f}–{vs_hs[-1]:.2f}）"
    print(line)
    print(f"倍数：合为一篇对 pyahocorasick {one_mbs / plain_one_mbs:.1f}×（目标 ≥3×）；逐篇对 pyahocorasick {ours_mbs / plain_mbs:.1f}×")
    if t_jieba is not None:
        print(f"倍数：逐篇对 jieba {ours_mbs / (mb / t_jieba):.1f}×（目标 ≥30×）")
    print(f"工作量（Scanner.work）：比对与自动机读入字符 逐篇合计 {fed_docs:,}，合为一篇 {work_one.automaton_chars:,}"
          f"（{work_one.automaton_chars / max(fed_docs, 1):.2f}×）；查找 {calls_docs:,} / {work_one.automaton_calls:,}；"
          f"全部计数 {total_docs:,} / {work_one.total:,}（{work_one.total / max(total_docs, 1):.2f}×，线性时约 1×）")
    print(f"规则加载（内置规则 + {len(extra)} 个词语）：墙钟 {load:.2f} s，CPU {load_c:.2f} s（目标 ≤2 s）")
    print(f"峰值 RSS：加载前 {rss_before:.0f} MB，扫描后 {rss_scanner:.0f} MB；逐篇扫描（子进程）{rss_docs:.0f} MB，"
          f"合为一篇（子进程）{rss_one:.0f} MB；pyahocorasick 与 jieba 基线之后 {rss_baselines:.0f} MB，"
          f"hyperscan 编译之后 {rss_mb():.0f} MB（目标：扫描器 ≤400 MB）")
    print(f"语料中结论不是“通过”的文档：{nonpass}/{len(texts)}（加入额外词语后）")
    extract_bench = REPO / "bench" / "extract_throughput.py"
    if extract_bench.is_file():
        spec = importlib.util.spec_from_file_location("extract_throughput", extract_bench)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        lines = getattr(module, "lines", None)
        if lines is not None:
            for line in lines(scanner):
                print(line)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

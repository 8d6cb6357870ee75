"""Rule scopes at deployment size (docs/rules.md): 200 units, each with its own small term list, all sharing one
100,000-term list; the worker's ScannerCache (reviewer/workflow/jobs.py) compiles one scanner per scope set, lazily,
and evicts the least recently used ones beyond its term budget.

    .venv/bin/python bench/scopes.py [--units 200] [--unit-terms 30] [--shared-terms 100000] [--measure 6]
                                     [--budget 400000]

Prints, for the first `--measure` units' first drafts: the first-scan latency (compile of that scope's scanner + the
scan) and the process RSS after it; then the latency of a second draft of an already loaded scope (cache hit), the
number of scanners held, and the ratio first-scan / single-scope load (the same 100k list loaded alone, as in
bench/scan_throughput.py: a scope costs what one rule set of its size costs; target ≤1.3×) and RSS against the
scan_throughput target (≤400 MB while the budget holds at most budget/100k scanners of that size).
Terms are generated (random CJK strings, fixed seed); nothing is downloaded. Not a timed test."""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def terms(rng: random.Random, n: int, seen: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        t = "".join(chr(rng.randrange(0x5000, 0x8000)) for _ in range(rng.randrange(3, 6)))
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def write_rule(directory: Path, rule_id: str, words: list[str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{rule_id}.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    (directory / f"{rule_id}.yaml").write_text(
        f"id: {rule_id}\ntitle: 代号表 {rule_id}\nkind: terms\nseverity: block\ncategory: 项目代号\nmessage: 项目代号\n"
        f"terms_file: {rule_id}.txt\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--unit-terms", type=int, default=30)
    ap.add_argument("--shared-terms", type=int, default=100_000)
    ap.add_argument("--measure", type=int, default=6, help="units whose first scan is measured (each compiles a scope)")
    ap.add_argument("--budget", type=int, default=400_000, help="ScannerCache term budget (REVIEWER_SCANNER_CACHE_TERMS)")
    args = ap.parse_args()

    from reviewer import Scanner
    from reviewer.settings import BUILTIN_RULES_DIR, Settings
    from reviewer.workflow.jobs import ScannerCache
    from reviewer.workflow.scopes import Scope

    rng = random.Random(24)
    seen: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        shared = root / "shared"
        write_rule(shared, "shared-list", terms(rng, args.shared_terms, seen))
        unit_terms: list[list[str]] = []
        for u in range(args.units):
            words = terms(rng, args.unit_terms, seen)
            unit_terms.append(words)
            write_rule(root / f"unit-{u:03d}", f"unit-{u:03d}", words)
        print(f"生成 {args.units} 个单位词表（各 {args.unit_terms} 词）+ 共用词表 {args.shared_terms} 词："
              f"{time.perf_counter() - t0:.1f} s")
        base_rss = rss_mb()
        t0 = time.perf_counter()
        alone = Scanner.load(BUILTIN_RULES_DIR, shared, defaults=False)
        single = time.perf_counter() - t0
        single_rss = rss_mb() - base_rss
        del alone
        print(f"单一规则集（内置 + 共用 {args.shared_terms} 词）加载：{single:.2f} s，约 {single_rss:.0f} MB")

        settings = Settings.from_env({"REVIEWER_DATA_DIR": str(root / "data")})
        cache = ScannerCache(settings, max_terms=args.budget)
        scopes = [Scope(f"U{u:03d}", (BUILTIN_RULES_DIR, shared, root / f"unit-{u:03d}"), (None, f"unit:U{u:03d}"), ())
                  for u in range(args.units)]
        firsts: list[float] = []
        print(f"{'单位':<6}{'首次扫描(s)':>12}{'RSS(MB)':>10}{'缓存扫描器':>10}  自己的词 / 他单位的词")
        for u in range(min(args.measure, args.units)):
            draft = f"关于{unit_terms[u][0]}的通知。另见{unit_terms[(u + 1) % args.units][0]}。"
            t0 = time.perf_counter()
            scanner = cache.get(registered=(), scope=scopes[u])
            result = scanner.scan(draft)
            first = time.perf_counter() - t0
            firsts.append(first)
            own = any(f.match == unit_terms[u][0] for f in result.findings)
            other = any(f.match == unit_terms[(u + 1) % args.units][0] for f in result.findings)
            print(f"U{u:03d}  {first:>12.2f}{rss_mb():>10.0f}{cache.cached():>10}  {'命中' if own else '漏报!'} / "
                  f"{'误用!' if other else '未命中（正确）'}")
            if not own or other:
                print("错误：单位的稿件没有且仅由本单位规则范围扫描", file=sys.stderr)
                return 1
        t0 = time.perf_counter()
        last = min(args.measure, args.units) - 1
        cache.get(registered=(), scope=scopes[last]).scan("再一份稿件。")
        hit = time.perf_counter() - t0
        median = sorted(firsts)[len(firsts) // 2]
        print(f"已加载范围的再次扫描：{hit * 1000:.1f} ms；缓存中扫描器 {cache.cached()} 个（预算 {args.budget} 词），"
              f"共编译 {cache.loads} 次")
        print(f"首次扫描中位数 / 单一规则集加载 = {median / single:.2f}×（目标 ≤1.3×）；"
              f"RSS {rss_mb():.0f} MB（目标 ≤400 MB）")
        print(f"{args.units} 个单位各自首次扫描的总编译时间约 {median * args.units / 60:.1f} 分钟（按需发生，每个工作进程每个范围一次，"
              "超出预算后被淘汰的范围下次再编译）")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Rule scopes at deployment size (docs/rules.md): 200 units, each with its own small term list, all sharing one
100,000-term list; the worker's ScannerCache (reviewer/workflow/jobs.py) compiles one scanner per scope set, lazily,
and evicts the least recently used ones beyond its term budget.

    .venv/bin/python bench/scopes.py [--units 200] [--unit-terms 30] [--shared-terms 100000] [--measure 6]
                                     [--budget 400000]

Prints, for each unit's first draft: the first-scan latency (compiling what that scope still needs + the scan) and the
process RSS. A unit's scanner is layered (workflow/scopes.py LayeredScanner): the shared layer (built-in + the 100k
list) is compiled once, at the first unit (target: ≤1.3× loading that rule set alone, as in bench/scan_throughput.py),
every other unit compiles only its own small list (milliseconds). Then the latency of a second draft (cache hit), the
scanners held and the RSS with all units loaded (target ≤400 MB, as in bench/scan_throughput.py).
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
    ap.add_argument("--measure", type=int, default=200, help="units whose first draft is scanned and measured")
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
        scopes = [Scope(f"U{u:03d}", (BUILTIN_RULES_DIR, shared, root / f"unit-{u:03d}"), (None, f"unit:U{u:03d}"), (),
                        (root / f"unit-{u:03d}",)) for u in range(args.units)]
        firsts: list[float] = []
        rss: list[float] = []
        print(f"{'单位':<6}{'首次扫描(ms)':>12}{'RSS(MB)':>10}{'缓存扫描器':>10}  自己的词 / 他单位的词（只列前 5 个与最后 1 个）")
        n = min(args.measure, args.units)
        for u in range(n):
            draft = f"关于{unit_terms[u][0]}的通知。另见{unit_terms[(u + 1) % args.units][0]}。"
            t0 = time.perf_counter()
            scanner = cache.get(registered=(), scope=scopes[u])
            result = scanner.scan(draft)
            first = time.perf_counter() - t0
            firsts.append(first)
            rss.append(rss_mb())
            own = any(f.match == unit_terms[u][0] for f in result.findings)
            other = any(f.match == unit_terms[(u + 1) % args.units][0] for f in result.findings)
            if u < 5 or u == n - 1:
                print(f"U{u:03d}  {first * 1000:>12.1f}{rss[-1]:>10.0f}{cache.cached():>10}  {'命中' if own else '漏报!'} / "
                      f"{'误用!' if other else '未命中（正确）'}")
            if not own or other:
                print("错误：单位的稿件没有且仅由本单位规则范围扫描", file=sys.stderr)
                return 1
        t0 = time.perf_counter()
        cache.get(registered=(), scope=scopes[n - 1]).scan("再一份稿件。")
        hit = time.perf_counter() - t0
        rest = sorted(firsts[1:]) or firsts
        median, worst = rest[len(rest) // 2], rest[-1]
        print(f"第一个单位的首次扫描（编译共用层 {args.shared_terms} 词）：{firsts[0]:.2f} s = 单独加载的 {firsts[0] / single:.2f}×")
        print(f"其余 {len(rest)} 个单位的首次扫描（只编译本单位的小词表）：中位数 {median * 1000:.1f} ms，最大 {worst * 1000:.1f} ms")
        print(f"已加载范围的再次扫描：{hit * 1000:.1f} ms；缓存中扫描器 {cache.cached()} 个（预算 {args.budget} 词），"
              f"共编译 {cache.loads} 次")
        print(f"RSS：{n} 个单位全部加载后 {rss[-1]:.0f} MB（第一个单位后 {rss[0]:.0f} MB；目标 ≤400 MB，同 bench/scan_throughput.py）")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

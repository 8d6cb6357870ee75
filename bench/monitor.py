"""The 巡检's own cost beside the cost of only fetching, on a generated site of 2,000 pages served on loopback.

    .venv/bin/python bench/monitor.py [--pages 2000] [--concurrency 4]

The site (two chrome variants, articles of 300–1,500 characters, half of them approved versions, one in ten edited
after approval, one in twenty with an ID number) is written to a temporary directory and served by a separate
`python -m http.server` process, so this process's CPU time is the client's alone. Two runs, same fetcher settings
(concurrency, no extra delay between requests):
  * fetch only: the monitor's own polite fetcher GETs every page URL (the list is known in advance: no parsing);
  * monitor: `reviewer.monitor.run.monitor` crawls from the home page (links), reads each page against the site's
    chrome, matches it with the approved versions and scans it with the built-in rules.
Prints pages/s and CPU ms per page for both and the ratios. Target: the monitor's CPU per page ≤ 2× the fetching's.
Not a timed test: the figures go into docs/monitor.md."""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORDS = ("为进一步做好政府信息公开工作，现将有关事项通知如下。各单位要高度重视，加强组织领导，明确责任分工，"
         "确保各项工作落到实处。市政务服务中心将继续优化服务流程，提高办事效率，方便群众办事。"
         "全市经济运行总体平稳，主要指标稳中有进，民生保障持续加强。请各有关部门按照职责分工抓好落实。")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def build(root: Path, pages: int, seed: int = 7) -> list:  # type: ignore[type-arg]
    from reviewer.monitor.model import Approved
    from tests.monitor import site

    rng = random.Random(seed)
    approved = []
    links = []
    for i in range(pages - 1):
        section = "xwdt" if i % 2 else "xxgk"
        path = f"/{section}/{i // 100}/p{i}.html"
        links.append(path)
        n = rng.randint(3, 12)
        body = [WORDS[rng.randint(0, 60):][: rng.randint(40, 120)] + f"（第{i}号第{k}段）" for k in range(n)]
        title = f"关于第{i}号事项的通知"
        if i % 2 == 0:
            draft = site.draft(title, body)
            approved.append(Approved(i + 1, title, "content.html", draft, hashlib.sha256(draft).hexdigest()))
            if i % 10 == 0:
                body = [*body[:-1], body[-1] + "（签署后增加的一句话）"]
        if i % 20 == 1:
            body.append("联系人身份证号110101199003074514")
        html = site.news_page(title, body) if section == "xwdt" else site.gov_page(title, body, str(i))
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    # the home page and section lists link every page (as a site's 栏目 lists do)
    per = 100
    lists = []
    for k in range(0, len(links), per):
        name = f"/list/{k // per}.html"
        lists.append(name)
        target = root / name.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(site.news_page(f"列表{k // per}", ["栏目列表。"], extra="".join(
            f'<a href="{u}">文章{u}</a><br>' for u in links[k:k + per])), encoding="utf-8")
    (root / "index.html").write_text(site.news_page("首页", ["欢迎访问。"], extra="".join(
        f'<a href="{u}">栏目{u}</a> ' for u in lists)), encoding="utf-8")
    return [approved, ["/", *lists, *links]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()

    from reviewer.monitor.fetch import HttpSource, Politeness, origin
    from reviewer.monitor.run import Options, monitor
    from reviewer.scan.scanner import Scanner

    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as tmp:
        root = Path(tmp)
        approved, paths = build(root, args.pages - len(range(0, args.pages - 1, 100)))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=root,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            polite = Politeness(concurrency=args.concurrency, interval=0.0, timeout=30.0)
            scanner = Scanner.load()
            scanner.scan("预热：加载分词词典。")

            source = HttpSource({origin(base)}, polite)
            cpu0, t0 = _cpu(), time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                got = list(pool.map(lambda p: source.get(base + p), paths))
            fetch_wall, fetch_cpu = time.perf_counter() - t0, _cpu() - cpu0
            source.close()
            assert not [g for g in got if g.error], "fetch errors"

            cpu0, t0 = _cpu(), time.perf_counter()
            report = monitor([base + "/"], approved, scanner, options=Options(max_pages=len(paths) + 200, politeness=polite,
                                                                          render=False, sitemap=False))
            mon_wall, mon_cpu = time.perf_counter() - t0, _cpu() - cpu0
        finally:
            server.terminate()
            server.wait()
    n = len(paths)
    s = report.summary()
    print(f"站点：{n} 个网页（{len(approved)} 个批准版本），并发 {args.concurrency}")
    print(f"巡检结果：{s}（未检查 {len(report.not_checked)} 页；http.server 的目录列表页也算网页）")
    print(f"{'':12}{'网页/秒':>10}{'CPU 毫秒/页':>14}")
    print(f"{'只抓取':10}{n / fetch_wall:>12.1f}{1000 * fetch_cpu / n:>14.2f}")
    print(f"{'巡检':10}{s['pages'] / mon_wall:>12.1f}{1000 * mon_cpu / max(1, s['pages']):>14.2f}")
    ratio = (mon_cpu / max(1, s["pages"])) / (fetch_cpu / n)
    print(f"巡检 CPU/页 ÷ 抓取 CPU/页 = {ratio:.2f}×（目标 ≤ 2×）；墙钟时间比 {mon_wall / fetch_wall:.2f}×")


if __name__ == "__main__":
    main()

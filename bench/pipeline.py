"""Pipeline benchmark (not a test): drafts/s and submit→awaiting_review latency over HTTP, against the engine's own
ceiling (a no-op Celery task on the same Redis, same run).

    .venv/bin/python bench/pipeline.py [--drafts 300] [--rate 50] [--seconds 10] [--database-url URL]

Everything runs locally on loopback: a private redis-server, a fresh database (embedded SQLite by default), the API
under uvicorn, and 1 then 2 Celery worker processes (--pool=solo, one process each). Latency is the item's
`scanned_at` (written by the worker in the transaction that makes it awaiting_review) minus the client's send time.

For each throughput run it also prints the CPU time each process spent per draft (from /proc: API, workers, Redis,
PostgreSQL server processes, this client), and the client's own capacity (GET /api/v1/health with the same 8 threads),
so that a miss can be attributed: on a machine with C cores no pipeline can sustain more than C / (CPU per draft)."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import (  # noqa: E402
    ApiServer,
    RedisServer,
    Worker,
    drop_postgres,
    fresh_postgres_url,
    fresh_sqlite_url,
    seed,
    service_env,
)

PARAGRAPHS = [
    "为深入贯彻落实政府信息公开工作要求，进一步规范信息发布流程，现将有关事项通知如下。",
    "各科室要高度重视信息公开保密审查工作，严格落实“先审查、后公开”和“一事一审”制度。",
    "本年度共主动公开政府信息一千二百余条，其中机构职能类信息八十条，法规文件类信息三百余条。",
    "依申请公开方面，全年共收到政府信息公开申请四十五件，均已在法定期限内予以答复。",
    "联系人：办公室，联系电话：0571-12345678。欢迎社会各界监督。",
    "下一步，我们将继续完善工作机制，加强队伍建设，不断提升政务公开工作质量和水平。",
    "会议强调，要坚持以人民为中心的发展思想，着力解决群众急难愁盼问题。",
    "经研究，决定对2025年度政务公开工作先进集体和先进个人予以通报表扬。",
]


def draft(i: int, size: int = 3000) -> str:
    rnd = random.Random(i)
    parts = [f"关于做好第{i}号政务公开工作的通知\n"]
    while sum(len(p) for p in parts) < size:
        parts.append(rnd.choice(PARAGRAPHS))
    return "\n".join(parts)


TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, its threads included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_cpu() -> float:
    """CPU seconds of every local `postgres` server process (0 when PostgreSQL is elsewhere or not used)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += proc_cpu(int(entry.name))
            except OSError:
                continue
    return total


class CpuMeter:
    """CPU seconds per component between start() and stop()."""

    def __init__(self, parts: dict[str, list[int]], postgres: bool) -> None:
        self.parts, self.postgres = parts, postgres

    def _sample(self) -> dict[str, float]:
        sample = {name: sum(proc_cpu(pid) for pid in pids) for name, pids in self.parts.items()}
        if self.postgres:
            sample["postgres"] = postgres_cpu()
        times = os.times()
        sample["client"] = times.user + times.system
        return sample

    def start(self) -> CpuMeter:
        self.t0, self.s0 = time.perf_counter(), self._sample()
        return self

    def stop(self) -> dict[str, float]:
        s1, elapsed = self._sample(), time.perf_counter() - self.t0
        used = {k: s1[k] - self.s0[k] for k in s1}
        used["_elapsed"] = elapsed
        return used


def cpu_report(used: dict[str, float], n: int) -> str:
    elapsed = used.pop("_elapsed")
    total = sum(used.values())
    parts = ", ".join(f"{k} {v * 1000 / n:.1f} ms ({v / elapsed * 100:.0f}% of a core)" for k, v in used.items())
    cores = os.cpu_count() or 1
    return (f"    CPU per draft: {parts}; total {total * 1000 / n:.1f} ms/draft "
            f"→ at most {cores / (total / n):.0f} drafts/s if all {cores} cores did nothing else")


class Bench:
    def __init__(self, database_url: str | None, tmp: Path) -> None:
        self.tmp = tmp
        self.redis = RedisServer(tmp / "redis").start()
        # PostgreSQL: a fresh database is created on that server for the run and dropped afterwards
        self.postgres = bool(database_url)
        self.database_url = fresh_postgres_url(database_url) if database_url else fresh_sqlite_url(tmp / "db")
        self.data = tmp / "data"
        self.tokens = seed(self.database_url, self.data).tokens
        self.env = service_env(self.database_url, self.redis.url, self.data, REVIEWER_SWEEP_INTERVAL="0")
        self.api = ApiServer(self.env, tmp / "logs").start()
        from reviewer.settings import Settings
        from reviewer.workflow.runtime import open_database

        self.db = open_database(Settings.from_env({"REVIEWER_DATABASE_URL": self.database_url, "REVIEWER_DATA_DIR": str(self.data)}))
        self.counter = 0
        self.last_cpu = ""

    def meter(self, workers: list[Worker]) -> CpuMeter:
        parts = {"API": [self.api.proc.pid], "workers": [w.proc.pid for w in workers], "redis": [self.redis.proc.pid]}
        return CpuMeter(parts, self.postgres)

    def client_capacity(self, n: int = 2000) -> float:
        """Requests/s the bench client itself manages (8 threads, the cheapest endpoint): a floor of its capacity."""
        with httpx.Client(base_url=self.api.url, timeout=60) as c:
            c.get("/api/v1/health").raise_for_status()
            start = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda _: c.get("/api/v1/health"), range(n)))
            return n / (time.perf_counter() - start)

    def close(self) -> None:
        self.db.dispose()
        self.api.stop()
        self.redis.stop()
        if self.postgres:
            drop_postgres(self.database_url)

    # ------------------------------------------------------------------ engine ceiling
    def noop_ceiling(self, n: int) -> float:
        from reviewer.settings import Settings
        from workers.app import NOOP_TASK, make_celery

        app = make_celery(Settings.from_env(self.env))
        with app.producer_or_acquire() as producer:
            for i in range(n):
                app.send_task(NOOP_TASK, args=[i], producer=producer)
        client = self.redis.client()
        worker = Worker(self.env, self.tmp / "logs", name="noop", pool="solo")
        worker.start(wait=False)
        # time from the first task taken to the queue drained and every message acked
        while client.llen("celery") == n:
            time.sleep(0.001)
        start = time.perf_counter()
        cpu0 = proc_cpu(worker.proc.pid)
        while client.llen("celery") or client.hlen("unacked"):
            time.sleep(0.002)
        elapsed = time.perf_counter() - start
        self.noop_cpu_ms = (proc_cpu(worker.proc.pid) - cpu0) * 1000 / n
        worker.stop()
        return n / elapsed

    # ------------------------------------------------------------------ drafts
    def submit(self, client: httpx.Client, sent: dict[int, float]) -> None:
        self.counter += 1
        i = self.counter
        t = time.time()
        r = client.post("/api/v1/items", json={"external_id": f"bench-{i}", "title": f"通知{i}", "author": "拟稿人", "content": draft(i)})
        r.raise_for_status()
        sent[r.json()["id"]] = t

    def wait_scanned(self, ids: list[int], timeout: float = 600) -> dict[int, float]:
        from sqlalchemy import select

        from reviewer.store.models import Item

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.db.session() as s:
                rows = s.execute(select(Item.id, Item.state, Item.scanned_at).where(Item.id.in_(ids))).all()
            if all(r.state not in ("queued", "scanning") for r in rows):
                bad = [r.id for r in rows if r.state != "awaiting_review"]
                if bad:
                    raise SystemExit(f"{len(bad)} items did not reach awaiting_review (e.g. {bad[:5]})")
                return {r.id: r.scanned_at.replace(tzinfo=r.scanned_at.tzinfo or UTC).timestamp() for r in rows}
            time.sleep(0.2)
        raise SystemExit("timed out waiting for scans")

    def throughput(self, workers: int, n: int) -> float:
        """Sustained drafts/s: n drafts posted by 8 concurrent clients, first send → last awaiting_review."""
        ws = [Worker(self.env, self.tmp / "logs", name=f"t{workers}-{k}", pool="solo").start() for k in range(workers)]
        try:
            sent: dict[int, float] = {}
            with httpx.Client(base_url=self.api.url, headers={"Authorization": f"Bearer {self.tokens['cms1']}"}, timeout=60) as c:
                self.submit(c, {})  # warm-up (scanner load) outside the measurement
                self.wait_scanned(list({*self._last_ids(1)}))
                meter = self.meter(ws).start()
                with ThreadPoolExecutor(8) as pool:
                    list(pool.map(lambda _: self.submit(c, sent), range(n)))
            done = self.wait_scanned(list(sent))
            self.last_cpu = cpu_report(meter.stop(), n)  # includes the client's 0.2 s polls for the last items
            return n / (max(done.values()) - min(sent.values()))
        finally:
            for w in ws:
                w.stop()

    def _last_ids(self, k: int) -> list[int]:
        from sqlalchemy import select

        from reviewer.store.models import Item

        with self.db.session() as s:
            return list(s.execute(select(Item.id).order_by(Item.id.desc()).limit(k)).scalars())

    def latency(self, workers: int, rate: float, seconds: float) -> tuple[float, float, int]:
        """Offered load: `rate` drafts/s for `seconds`; returns p50, p99 (ms) of submit → awaiting_review."""
        ws = [Worker(self.env, self.tmp / "logs", name=f"l{workers}-{k}", pool="solo").start() for k in range(workers)]
        try:
            sent: dict[int, float] = {}
            lock = threading.Lock()
            with httpx.Client(base_url=self.api.url, headers={"Authorization": f"Bearer {self.tokens['cms1']}"}, timeout=60) as c:
                self.submit(c, {})
                self.wait_scanned(self._last_ids(1))
                total = int(rate * seconds)
                start = time.perf_counter()
                with ThreadPoolExecutor(16) as pool:
                    futures = []
                    for i in range(total):
                        delay = start + i / rate - time.perf_counter()
                        if delay > 0:
                            time.sleep(delay)
                        futures.append(pool.submit(self._locked_submit, c, sent, lock))
                    for f in futures:
                        f.result()
            done = self.wait_scanned(list(sent))
            lat = sorted((done[i] - sent[i]) * 1000 for i in sent)
            return statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))], len(lat)
        finally:
            for w in ws:
                w.stop()

    def _locked_submit(self, c: httpx.Client, sent: dict[int, float], lock: threading.Lock) -> None:
        with lock:
            self.counter += 1
            i = self.counter
        t = time.time()
        r = c.post("/api/v1/items", json={"external_id": f"bench-{i}", "title": f"通知{i}", "author": "拟稿人", "content": draft(i)})
        r.raise_for_status()
        sent[r.json()["id"]] = t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drafts", type=int, default=300)
    parser.add_argument("--noop", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL (a fresh database is made on it); default: a fresh embedded SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reviewer-bench-") as tmp:
        bench = Bench(args.database_url, Path(tmp))
        try:
            kind = "PostgreSQL" if args.database_url else "SQLite"
            print(f"database: {kind}; draft size ≈ {len(draft(1))} 字; {args.drafts} drafts per throughput run; "
                  f"{os.cpu_count()} CPU cores; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(f"bench client capacity (8 threads, GET /api/v1/health):   {bench.client_capacity():8.1f} requests/s")
            ceiling = bench.noop_ceiling(args.noop)
            target = 0.4 * ceiling
            print(f"no-op Celery task ceiling (1 worker, solo, acks_late):   {ceiling:8.1f} tasks/s "
                  f"({bench.noop_cpu_ms:.2f} ms worker CPU per task)")
            print(f"throughput target (0.4 × ceiling):                        {target:8.1f} drafts/s")
            for workers in (1, 2):
                rate = bench.throughput(workers, args.drafts)
                print(f"sustained drafts/s, {workers} worker process(es):             {rate:8.1f}  "
                      f"= {rate / ceiling:.3f} × ceiling (target 0.400 ×: {'met' if rate >= target else 'NOT met'})")
                print(bench.last_cpu)
            p50, p99, n = bench.latency(2, args.rate, args.seconds)
            print(f"submit→awaiting_review at offered {args.rate:.0f}/s for {args.seconds:.0f} s, 2 workers ({n} drafts): "
                  f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (target p99 ≤ 200 ms: {'met' if p99 <= 200 else 'NOT met'})")
            print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

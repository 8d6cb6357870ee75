"""`reviewer stack`: the whole local stack in one command, on the embedded SQLite default.

Starts its own redis-server on loopback (files in the data dir), migrates the database, creates demo units, users
(passwords printed) and tokens, starts a Celery worker and the API/pages, submits every file under samples/ and prints
where to go. Ctrl-C stops everything it started. `scripts/stack.sh` runs setup first and then this."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from reviewer.settings import REPO_ROOT

DEMO_UNITS = [("BGS", "办公室", "revise"), ("TJJ", "统计科", "officer")]
DEMO_USERS = [  # username, unit, role, 姓名
    ("shencha", "BGS", "reviewer", "王审查"),
    ("baomi", "BGS", "officer", "李保密"),
    ("shencha2", "TJJ", "reviewer", "赵审查"),
    ("baomi2", "TJJ", "officer", "钱保密"),
    ("shenji", "BGS", "auditor", "孙审计"),
    ("admin", "BGS", "admin", "系统管理员"),
    ("nigao", "BGS", "publisher", "拟稿人"),  # the drafter of the samples: CMS author id cms-nigao (docs/accounts.md)
]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("stack", help="一条命令启动本地全套服务（Redis、扫描进程、API 与页面）并提交示例稿件")
    p.add_argument("--port", type=int, default=8000, help="API/页面端口（默认 8000）")
    p.add_argument("--redis-port", type=int, default=0, help="Redis 端口（默认自动选择空闲端口）")
    p.add_argument("--workers", type=int, default=2, help="扫描并发数（默认 2）")
    p.add_argument("--samples", default=str(REPO_ROOT / "samples"), help="要提交的示例目录")
    p.add_argument("--no-wait", action="store_true", help="提交完示例并等到扫描结果后立即停止（用于自检）")
    p.add_argument("--scan-timeout", type=float, default=180.0, help="等待示例扫描结果的最长秒数（默认 180）")
    p.set_defaults(handler=run)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _own_api(base: str, instance: str, proc: subprocess.Popen[bytes]) -> bool:
    """The API at `base` answers and is the one this stack started (same instance id, its process alive)."""
    if proc.poll() is not None:
        raise SystemExit(f"API 进程已退出（退出码 {proc.returncode}），端口可能被占用；请查看日志 api.log")
    answer = httpx.get(base + "/api/v1/health", timeout=2)  # connection refused: still starting (_wait retries)
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict) or body.get("instance") != instance:
        raise SystemExit(f"{base} 上应答的不是本次启动的服务：请停止占用该端口的程序，或用 --port 指定其他端口")
    return answer.status_code in (200, 503)  # 503: a component is still coming up; the API itself is ours


def _wait(check, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001,S110 - still starting
            pass
        time.sleep(0.2)
    raise SystemExit(f"启动超时：{what}")


def _accounts(data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """Create the demo accounts once; their passwords and tokens are kept in the data dir (mode 0600)."""
    from reviewer.accounts import manage as accounts
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    path = data_dir / "demo-accounts.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    db = open_database(Settings.from_env(env))
    out: dict[str, str] = {}
    try:
        with db.session() as s:
            for code, name, policy in DEMO_UNITS:
                accounts.create_unit(s, code, name, block_policy=policy)
            for username, unit, role, display in DEMO_USERS:
                password = secrets.token_urlsafe(9)
                user = accounts.create_user(s, username, unit, role, display_name=display, password=password,
                                            cms_id=f"cms-{username}")
                out[f"password:{username}"] = password
                out[f"token:{username}"] = accounts.create_token(s, user=user).token
            for code, _, _ in DEMO_UNITS:
                out[f"token:cms-{code}"] = accounts.create_token(s, unit=accounts.get_unit(s, code), client_name=f"cms-{code}").token
    finally:
        db.dispose()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, indent=1)
    return out


def _submit_samples(base: str, token: str, samples: Path) -> int:
    # Every draft under samples/; the generators and expectation files that sit beside them are not drafts.
    files = sorted(
        p for p in samples.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.suffix != ".py"
        and not p.name.lower().startswith(("expected", "readme"))
    ) if samples.is_dir() else []
    sent = 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for path in files:
            rel = path.relative_to(samples).as_posix()
            r = client.post("/api/v1/items", data={"external_id": f"sample/{rel}", "title": path.stem, "channel": "示例栏目",
                                                   "author": "拟稿人", "author_id": "cms-nigao"}, files={"file": (path.name, path.read_bytes())})
            if r.status_code in (200, 201):
                sent += 1
            else:
                print(f"  提交 {rel} 失败：{r.status_code} {r.json().get('detail', '')}", file=sys.stderr)
    return sent


STATE_NAMES = {"queued": "排队中", "scanning": "扫描中", "awaiting_review": "待审查", "awaiting_officer": "待保密员复核",
               "scan_failed": "扫描失败（不得批准）", "render_failed": "显示核对失败（不得批准）",
               "returned": "已退回"}


def _scan_summary(database_url: str, timeout: float) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Wait until every submitted sample has a scan outcome and a finished render check; (count per state, [(file,
    reason)] of the samples that cannot be approved: failed scans and failed render checks)."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.pool import NullPool

    from reviewer.store.models import Item, RenderCheck

    engine = create_engine(database_url, poolclass=NullPool)
    query = select(Item.external_id, Item.state, Item.scan_error, RenderCheck.state.label("render"),
                   RenderCheck.error.label("render_error")).outerjoin(RenderCheck, RenderCheck.item_id == Item.id)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with engine.connect() as conn:
                rows = conn.execute(query).all()
            busy = [r for r in rows if r.state in ("queued", "scanning") or r.render == "pending"]
            if not busy or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    counts: dict[str, int] = {}
    failed: list[tuple[str, str]] = []
    for r in rows:
        state = "render_failed" if r.state != "scan_failed" and r.render == "failed" else r.state
        counts[state] = counts.get(state, 0) + 1
        if state in ("scan_failed", "render_failed"):
            failed.append((r.external_id.removeprefix("sample/"), (r.scan_error if state == "scan_failed" else
                                                                  f"显示核对失败：{r.render_error}") or ""))
    return counts, failed


def run(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.store.migrate import upgrade

    data_dir = Path(os.environ.get("REVIEWER_DATA_DIR") or (Path.cwd() / ".data")).resolve()
    # The ports must be free: otherwise the samples (and the demo tokens) would go to whatever answers there.
    for port, what in ((args.port, "--port"), (args.redis_port, "--redis-port")):
        if port and not port_is_free(port):
            print(f"错误：端口 {port} 已被占用（{what}）：请先停止占用它的程序，或用 {what} 指定其他端口", file=sys.stderr)
            return 2
    data_dir.mkdir(parents=True, exist_ok=True)
    redis_port = args.redis_port or _free_port()
    instance = secrets.token_hex(16)  # the API this stack starts reports it in /api/v1/health: proof it is ours
    env = dict(os.environ, REVIEWER_DATA_DIR=str(data_dir), REVIEWER_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
               PYTHONUNBUFFERED="1", REVIEWER_INSTANCE_ID=instance)
    # The demo loads the fictional organisation term list too, so that samples/org-term.txt shows a unit's own terms.
    env.setdefault("REVIEWER_RULES_PATH", str(REPO_ROOT / "examples" / "org-rules"))
    settings = Settings.from_env(env)
    env["REVIEWER_DATABASE_URL"] = str(settings.database_url)
    logs = data_dir / "logs"
    logs.mkdir(exist_ok=True)
    children: list[subprocess.Popen[bytes]] = []

    def spawn(argv: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = open(logs / log_name, "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT)
        log.close()
        children.append(proc)
        return proc

    def stop_all() -> None:
        for proc in reversed(children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(children):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # runs the `finally` below: children never outlive the stack

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        print(f"== 本单位规则目录（REVIEWER_RULES_PATH）：{env['REVIEWER_RULES_PATH']}")
        redis_dir = data_dir / "redis"
        redis_dir.mkdir(exist_ok=True)
        redis_bin = shutil.which("redis-server") or "/usr/sbin/redis-server"
        print(f"== 启动 Redis（127.0.0.1:{redis_port}）")
        spawn([redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(redis_dir), "--save", "60 1",
               "--appendonly", "no", "--daemonize", "no"], "redis.log")
        import redis

        _wait(lambda: redis.Redis(port=redis_port, socket_connect_timeout=1).ping(), 20, "redis-server")
        print(f"== 数据库：{settings.database_url if 'sqlite' in settings.database_url else '(REVIEWER_DATABASE_URL)'}")
        upgrade(str(settings.database_url))
        from reviewer.audit import checkpoints as cps

        problems = cps.anchoring_problems(settings)
        if problems:
            print("！！！" + cps.ANCHOR_WARNING.format(problems="；".join(problems)), file=sys.stderr)
        else:
            print(f"== 审查日志签名检查点：签署、批准、发布、规则集与策略变更等即时，其余每 {settings.checkpoint_every} 条事件"
                  f"及每 {settings.checkpoint_minutes:g} 分钟一次，"
                  f"写入 {cps.anchor_dir(settings)}" + ("及外部见证" if cps.witness_configured(settings) else "（未配置外部见证）"))
        creds = _accounts(data_dir, env)
        print("== 启动扫描进程（Celery worker）")
        spawn([sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--pool=prefork", "-c", str(args.workers),
               "--loglevel=INFO", "-n", "stack@%h"], "worker.log")
        base = f"http://127.0.0.1:{args.port}"
        print(f"== 启动 API 与页面（{base}）")
        api = spawn([sys.executable, "-m", "reviewer", "serve", "--host", "127.0.0.1", "--port", str(args.port)], "api.log")
        _wait(lambda: _own_api(base, instance, api), 60, "API")
        sent = _submit_samples(base, creds["token:cms-BGS"], Path(args.samples))
        print(f"== 已向“办公室”(BGS) 提交 {sent} 份示例稿件（samples/ 下的全部文件），等待扫描结果 …")
        counts, failed = _scan_summary(str(settings.database_url), args.scan_timeout)
        print("== 扫描结果：" + "，".join(f"{STATE_NAMES.get(k, k)} {v} 份" for k, v in sorted(counts.items())))
        for name, reason in failed:
            print(f"  {name}：{reason}")
        print()
        print(f"打开 {base}/ 登录审查（页面）；接口说明（OpenAPI）：{base}/openapi.json")
        print(f"演示账号（密码另存于 {data_dir / 'demo-accounts.json'}，仅本机可读）：")
        for username, unit, role, display in DEMO_USERS:
            print(f"  {username:<9} 密码 {creds['password:' + username]:<14} {display}（{unit}，{role}）")
        print(f"发布系统令牌（BGS）：{creds['token:cms-BGS']}")
        print(f"示例：curl -H 'Authorization: Bearer {creds['token:shencha']}' {base}/api/v1/review-queue")
        print(f"日志：{logs}；按 Ctrl-C 停止全部服务")
        if args.no_wait:
            return 0
        while all(p.poll() is None for p in children):
            time.sleep(1)
        dead = [p.args[0] if isinstance(p.args, list) else p.args for p in children if p.poll() is not None]
        print(f"有进程意外退出：{dead}，请查看 {logs}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        print("== 正在停止本地服务 …")
        stop_all()

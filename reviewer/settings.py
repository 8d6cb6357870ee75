"""One typed settings object read from the environment and passed explicitly (no hidden globals)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The built-in rules: rules/ of a source checkout, or the copy an installed package carries in
# <prefix>/share/secrecy-review/rules (pyproject.toml [tool.setuptools.data-files]).
INSTALLED_RULES_DIR = Path(sys.prefix) / "share" / "secrecy-review" / "rules"
BUILTIN_RULES_DIR = REPO_ROOT / "rules" if (REPO_ROOT / "rules").is_dir() or not INSTALLED_RULES_DIR.is_dir() else INSTALLED_RULES_DIR


class Secret(str):
    """A string whose repr hides its value (database URLs with passwords, keys)."""

    def __repr__(self) -> str:
        return "Secret('**********')"


def _paths(value: str | None) -> list[Path]:
    return [Path(p) for p in (value or "").split(os.pathsep) if p]


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in (value or "").replace(";", ",").split(",") if p.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: Secret
    redis_url: Secret
    rules_paths: list[Path] = field(default_factory=list)
    max_upload_bytes: int = 50 * 1024 * 1024
    # Submissions per publishing token (limits syntax, e.g. "30/minute;500/hour"); storage "memory://" or a redis URL.
    submit_rate: str = "60/minute;1000/hour"
    rate_limit_storage: str = "memory://"
    # Signed review-log checkpoints (audit.checkpoints): every N events and every M minutes, to each sink configured.
    checkpoint_every: int = 100
    checkpoint_minutes: float = 10.0
    checkpoint_dir: Path | None = None  # a directory on other storage; one append-only JSON-lines file
    checkpoint_url: str = ""  # an HTTP(S) witness that receives each checkpoint as a JSON POST
    checkpoint_syslog: str = ""  # "/dev/log", "udp://host:514" or "tcp://host:514"
    # Callbacks (workflow/callbacks.py): https only unless allowed; these hosts (names, IPs or CIDRs) are allowed even
    # when they are loopback, link-local or private — an administrator's explicit decision.
    callback_allow_http: bool = False
    callback_allow_hosts: tuple[str, ...] = ()
    # A scan that runs longer is killed (its child process) and the item ends scan_failed (workflow/jobs.py).
    scan_time_limit: float = 90.0
    # The render check of one draft (reviewer/render): time for rendering and reading it, and its page limit; a draft
    # over either cannot be approved (fail closed), so a unit publishing long PDFs raises them.
    render_time_limit: float = 300.0
    render_max_pages: int = 400  # a 300-page report fits (bench/render.py --long); the time limit bounds the work
    # Drafts above this size (or container formats) go to the `scan_large` queue (workers/app.py).
    large_draft_bytes: int = 1024 * 1024
    # Web sessions (web/security.py) and API tokens (accounts/manage.py).
    session_idle_minutes: float = 30.0
    session_absolute_hours: float = 12.0
    token_days: int = 90
    # /metrics (reviewer/api/ops.py): when set, a scraper must send "Authorization: Bearer <token>"
    metrics_token: Secret = Secret("")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("REVIEWER_DATA_DIR") or (Path.cwd() / ".data")).resolve()
        db_default = f"sqlite:///{data_dir / 'reviewer.sqlite3'}"
        return cls(
            data_dir=data_dir,
            database_url=Secret(env.get("REVIEWER_DATABASE_URL") or db_default),
            redis_url=Secret(env.get("REVIEWER_REDIS_URL") or "redis://127.0.0.1:6379/0"),
            rules_paths=_paths(env.get("REVIEWER_RULES_PATH")),
            max_upload_bytes=int(env.get("REVIEWER_MAX_UPLOAD_BYTES") or 50 * 1024 * 1024),
            submit_rate=env.get("REVIEWER_SUBMIT_RATE") or "60/minute;1000/hour",
            rate_limit_storage=env.get("REVIEWER_RATE_LIMIT_STORAGE") or "memory://",
            checkpoint_every=int(env.get("REVIEWER_CHECKPOINT_EVERY") or 100),
            checkpoint_minutes=float(env.get("REVIEWER_CHECKPOINT_MINUTES") or 10),
            checkpoint_dir=Path(env["REVIEWER_CHECKPOINT_DIR"]).resolve() if env.get("REVIEWER_CHECKPOINT_DIR") else None,
            checkpoint_url=env.get("REVIEWER_CHECKPOINT_URL") or "",
            checkpoint_syslog=env.get("REVIEWER_CHECKPOINT_SYSLOG") or "",
            callback_allow_http=_flag(env.get("REVIEWER_CALLBACK_ALLOW_HTTP")),
            callback_allow_hosts=_list(env.get("REVIEWER_CALLBACK_ALLOW_HOSTS")),
            scan_time_limit=float(env.get("REVIEWER_SCAN_TIME_LIMIT") or 90.0),
            render_time_limit=float(env.get("REVIEWER_RENDER_TIME_LIMIT") or 300.0),
            render_max_pages=int(env.get("REVIEWER_RENDER_MAX_PAGES") or 400),
            large_draft_bytes=int(env.get("REVIEWER_LARGE_DRAFT_BYTES") or 1024 * 1024),
            session_idle_minutes=float(env.get("REVIEWER_SESSION_IDLE_MINUTES") or 30.0),
            session_absolute_hours=float(env.get("REVIEWER_SESSION_ABSOLUTE_HOURS") or 12.0),
            token_days=int(env.get("REVIEWER_TOKEN_DAYS") or 90),
            metrics_token=Secret(env.get("REVIEWER_METRICS_TOKEN") or ""),
        )

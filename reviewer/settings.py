"""One typed settings object read from the environment and passed explicitly (no hidden globals)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_RULES_DIR = REPO_ROOT / "rules"


class Secret(str):
    """A string whose repr hides its value (database URLs with passwords, keys)."""

    def __repr__(self) -> str:
        return "Secret('**********')"


def _paths(value: str | None) -> list[Path]:
    return [Path(p) for p in (value or "").split(os.pathsep) if p]


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
        )

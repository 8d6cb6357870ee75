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
        )

"""Known failures of any `reviewer …` command, answered in one Chinese line with a non-zero exit (never a traceback).

`reviewer.cli.main` calls `explain` for an exception a command did not handle itself. The classes:
  database not initialised / not reachable / URL invalid   → exit 3
  Redis (the queue) not reachable                          → exit 3
  a file or directory that cannot be read or written       → exit 2
  a domain error (ReviewerError)                           → exit 1
  anything else                                            → exit 70, its meaning in Chinese and its class name; set
                                                             REVIEWER_DEBUG=1 to see the traceback (for a bug report)
Draft text never reaches these lines: only exception classes, errno and file names are used."""

from __future__ import annotations

import os

from reviewer.errors import ReviewerError, exception_zh, os_error_zh

EXIT_DOMAIN = 1
EXIT_INPUT = 2
EXIT_SERVICE = 3
EXIT_INTERNAL = 70

_MISSING_TABLE = ("no such table", "undefinedtable", "does not exist", "relation \"")


def _database(exc: BaseException) -> str | None:
    try:
        from sqlalchemy import exc as sa
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        return None
    if isinstance(exc, sa.ArgumentError | sa.NoSuchModuleError):
        return "数据库地址 REVIEWER_DATABASE_URL 无效（应如 postgresql+psycopg://用户@主机/库 或 sqlite:////路径）"
    if not isinstance(exc, sa.DBAPIError):
        return None
    detail = f"{type(exc.orig).__name__} {exc.orig}".lower()
    if any(m in detail for m in _MISSING_TABLE):
        return "数据库尚未初始化（缺少数据表）：请先运行 reviewer db upgrade"
    if "unable to open database file" in detail:
        return "无法打开 SQLite 数据库文件：请检查 REVIEWER_DATA_DIR / REVIEWER_DATABASE_URL 指向的目录是否存在且可写"
    if isinstance(exc, sa.OperationalError | sa.InterfaceError):
        return "无法连接数据库：请检查 REVIEWER_DATABASE_URL、数据库服务是否运行、用户名和口令"
    if isinstance(exc, sa.ProgrammingError):
        return "数据库结构与本程序版本不符：请运行 reviewer db upgrade"
    return None


def _redis(exc: BaseException) -> str | None:
    names = {c.__module__.split(".")[0] + "." + c.__name__ for c in type(exc).__mro__}
    if names & {"redis.ConnectionError", "redis.TimeoutError", "kombu.OperationalError", "redis.AuthenticationError"}:
        if "redis.AuthenticationError" in names:
            return "Redis 拒绝了口令：请检查 REVIEWER_REDIS_URL 中的口令"
        return "无法连接 Redis（队列）：请检查 REVIEWER_REDIS_URL 和 redis-server 是否运行"
    return None


def explain(exc: BaseException) -> tuple[str, int] | None:
    """(one Chinese line, exit status) for a failure a person can act on; None lets the caller decide."""
    if isinstance(exc, ReviewerError):
        return f"错误：{exc.message}", EXIT_DOMAIN
    database = _database(exc)
    if database:
        return f"错误：{database}", EXIT_SERVICE
    redis = _redis(exc)
    if redis:
        return f"错误：{redis}", EXIT_SERVICE
    if isinstance(exc, OSError) and (exc.errno is not None or exc.filename is not None):
        return f"错误：文件操作失败：{os_error_zh(exc)}", EXIT_INPUT
    return None


def describe_unexpected(exc: BaseException) -> tuple[str, int]:
    return (f"错误：命令未能完成：{exception_zh(exc)}（{type(exc).__name__}）。"
            "如需报告问题，请设置 REVIEWER_DEBUG=1 重新运行以显示详细信息", EXIT_INTERNAL)


def debug() -> bool:
    return os.environ.get("REVIEWER_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")

"""`reviewer db upgrade`: create or migrate the schema (Alembic) of REVIEWER_DATABASE_URL."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("db", help="数据库结构")
    dsub = p.add_subparsers(dest="db_command", metavar="子命令", required=True)
    up = dsub.add_parser("upgrade", help="创建或升级数据库结构到最新版本")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.store.migrate import upgrade

    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(str(settings.database_url), args.revision)
    print(f"数据库结构已升级到 {args.revision}")
    return 0

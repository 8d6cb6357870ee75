"""`reviewer backup OUT` and `reviewer restore IN`: the database, the data directory and its keys in one file
(reviewer/store/backup.py; docs/operations.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    b = sub.add_parser("backup", help="备份数据库、数据目录和密钥到一个文件（系统运行中也可备份）",
                       description="备份数据库（SQLite 在线备份；PostgreSQL 用 pg_dump）、数据目录和签名密钥到一个文件"
                                   "（权限 0600）。备份中有私钥和全部稿件：请存放在加密介质上，或用 gpg 加密（见 docs/operations.md）。")
    b.add_argument("out", type=Path, metavar="文件", help="备份文件（如 /backup/reviewer-20261205.tar.gz；不得已存在）")
    b.set_defaults(handler=run_backup)
    r = sub.add_parser("restore", help="从备份文件恢复到新的空数据目录和空数据库",
                       description="把备份恢复到 REVIEWER_DATA_DIR 与 REVIEWER_DATABASE_URL（须为空：不会覆盖现有安装），"
                                   "逐个核对 SHA-256。恢复后请运行 reviewer db upgrade 与 reviewer audit verify。")
    r.add_argument("source", type=Path, metavar="文件", help="reviewer backup 生成的备份文件")
    r.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.store.backup import backup

    settings = Settings.from_env()
    report = backup(str(settings.database_url), settings.data_dir, args.out)
    print(f"已备份到 {report.path}（{report.bytes / 1e6:.1f} MB，权限 0600）：{report.backend} 数据库、数据目录 {report.files} 个文件；"
          f"审查日志 {report.audit_seq} 条事件，末条哈希 {report.audit_head[:16] or '—'}")
    print("备份中有签名私钥和全部稿件，请存放在加密介质上或加密后转存（docs/operations.md）")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.store.backup import restore

    settings = Settings.from_env()
    report = restore(args.source, str(settings.database_url), settings.data_dir)
    print(f"已恢复：{report.backend} 数据库，数据目录 {report.files} 个文件，审查日志 {report.audit_seq} 条事件"
          f"（末条哈希 {report.audit_head[:16] or '—'}）。下一步：reviewer db upgrade，然后 reviewer audit verify")
    return 0

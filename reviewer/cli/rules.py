"""`reviewer rules check DIR...`: validate rule files and run their example files (exit 1 on any problem)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("rules", help="规则管理")
    sub = p.add_subparsers(dest="rules_command", metavar="子命令")
    check = sub.add_parser("check", help="校验规则文件并运行其示例文件")
    check.add_argument("dirs", nargs="*", metavar="DIR", help="规则目录（默认：内置 rules/）")
    check.add_argument("--no-builtin", action="store_true", help="运行示例时不同时加载内置规则")
    check.set_defaults(handler=run_check)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])


def run_check(args: argparse.Namespace) -> int:
    from reviewer.scan.rulecheck import check_directories
    from reviewer.settings import BUILTIN_RULES_DIR

    dirs = [Path(d) for d in args.dirs] or [BUILTIN_RULES_DIR]
    report = check_directories(dirs, with_builtin=not args.no_builtin)
    for problem in report.problems:
        print(f"错误：{problem}")
    status = "通过" if report.ok else f"未通过（{len(report.problems)} 个问题）"
    print(f"规则检查{status}：{report.rules} 条规则，{report.examples} 条示例")
    return 0 if report.ok else 1

"""`reviewer keys init|show`: the two Ed25519 signing keys of the data directory (receipts, review-log checkpoints).

`init` creates the keys that do not exist yet, at install time, so that no API or worker process ever has to (a
process that creates one logs a warning: it usually points at the wrong data directory). `show` prints the public keys
and their ids, to keep outside the system (docs/operations.md «密钥»)."""

from __future__ import annotations

import argparse
import logging


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    k = sub.add_parser("keys", help="签名密钥（回执、审查日志检查点）").add_subparsers(
        dest="keys_command", metavar="子命令", required=True)
    init = k.add_parser("init", help="在数据目录中生成尚不存在的签名密钥（安装时运行一次；已有的不会改动）")
    init.set_defaults(handler=run_init)
    show = k.add_parser("show", help="打印两把签名密钥的公钥（PEM）和密钥编号，供在系统外保存")
    show.set_defaults(handler=run_show)


def _keys(create: bool) -> list[tuple[str, str, bool]]:
    from reviewer.audit.keys import CHECKPOINT_KEY_FILE, RECEIPT_KEY_FILE, load_or_create_key
    from reviewer.errors import NotFound
    from reviewer.settings import Settings

    data_dir = Settings.from_env().data_dir
    out = []
    for label, name in (("回执签名密钥", RECEIPT_KEY_FILE), ("检查点签名密钥", CHECKPOINT_KEY_FILE)):
        existed = (data_dir / name).exists()
        if not existed and not create:
            raise NotFound(f"{data_dir / name} 不存在：请先运行 reviewer keys init")
        quiet = logging.getLogger("reviewer.audit.keys")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # creating them is what this command is for: no warning
        try:
            key = load_or_create_key(data_dir, name)
        finally:
            quiet.setLevel(level)
        out.append((f"{label} {data_dir / name}（密钥编号 {key.key_id}）", key.public_pem(), existed))
    return out


def run_init(args: argparse.Namespace) -> int:
    for title, _, existed in _keys(create=True):
        print(("已有，未改动：" if existed else "已生成：") + title)
    print("请立即备份数据目录（reviewer backup），并用 reviewer keys show 把公钥另存到系统外")
    return 0


def run_show(args: argparse.Namespace) -> int:
    for title, pem, _ in _keys(create=False):
        print(f"# {title}")
        print(pem, end="")
    return 0

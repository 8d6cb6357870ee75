"""`reviewer keys init|show|list|rotate|compromised`: the two Ed25519 signing keys of the data directory (receipts,
review-log checkpoints) and their keyring (audit.keyring: every old public key, kept so old signatures verify).

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
    listing = k.add_parser("list", help="列出密钥登记册中的全部密钥（编号、用途、启用/退役/泄露时间）")
    listing.add_argument("--pem", action="store_true", help="同时打印每把密钥的公钥（PEM），供审计员在系统外保存")
    listing.set_defaults(handler=run_list)
    rotate = k.add_parser("rotate", help="轮换签名密钥：生成新密钥，旧公钥保留在登记册中（旧回执、旧检查点仍可验证），记入审查日志")
    _purpose_args(rotate, "轮换回执签名密钥", "轮换检查点签名密钥（随即用新密钥签署当前链头，重新锚定）")
    rotate.set_defaults(handler=run_rotate)
    bad = k.add_parser("compromised", help="把已退役的密钥标记为泄露：泄露时间之后由它签出的回执和检查点不再被信任")
    _purpose_args(bad, "回执签名密钥", "检查点签名密钥")
    bad.add_argument("--key-id", required=True, metavar="密钥编号", help="要标记的密钥编号（reviewer keys list 可查）")
    bad.add_argument("--since", required=True, metavar="时间",
                     help="可能泄露的最早时间（北京时间），如 2026-03-01 或 2026-03-01T08:30；拿不准时宁早勿晚")
    bad.set_defaults(handler=run_compromised)


def _purpose_args(parser: argparse.ArgumentParser, receipt: str, checkpoint: str) -> None:
    """Which key: a word (receipt | checkpoint) or one of --receipt / --checkpoint."""
    parser.add_argument("which", nargs="?", choices=("receipt", "checkpoint"), metavar="用途",
                        help="receipt 回执签名密钥或 checkpoint 检查点签名密钥（也可用 --receipt / --checkpoint）")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--receipt", action="store_true", help=receipt)
    which.add_argument("--checkpoint", action="store_true", help=checkpoint)


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


def _purpose(args: argparse.Namespace) -> str | None:
    """receipt | checkpoint, from `--receipt`/`--checkpoint` or the positional word; None (said in Chinese) when
    neither or both disagree."""
    import sys

    chosen = {p for p, on in (("receipt", args.receipt), ("checkpoint", args.checkpoint)) if on}
    if args.which:
        chosen.add(args.which)
    if len(chosen) != 1:
        print("请指明一种密钥：--receipt（回执签名密钥）或 --checkpoint（检查点签名密钥），未做任何改动", file=sys.stderr)
        return None
    return chosen.pop()


def run_list(args: argparse.Namespace) -> int:
    from reviewer.audit import keyring
    from reviewer.settings import Settings

    entries = keyring.all_entries(Settings.from_env().data_dir)
    if not entries:
        print("数据目录中还没有签名密钥：请先运行 reviewer keys init")
        return 1
    for e in entries:
        print(f"{keyring.PURPOSE_LABEL[e.purpose]}  {e.key_id}  {keyring.STATUS_LABEL[e.status]}  启用 {_beijing(e.created_at)}"
              + (f"  退役 {_beijing(e.retired_at)}" if e.retired_at else "")
              + (f"  泄露自 {_beijing(e.compromised_at)}" if e.compromised_at else ""))
        if args.pem:
            print(e.public_key_pem, end="" if e.public_key_pem.endswith("\n") else "\n")
    return 0


def _beijing(value: str | None) -> str:
    from reviewer.audit.keyring import parse_time
    from reviewer.audit.statistics import BEIJING

    t = parse_time(value)
    return t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S（北京时间）") if t else "—"


def _with_operator(fn):  # noqa: ANN001, ANN202
    from reviewer.cli.admin import _operator
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    settings = Settings.from_env()
    db = open_database(settings)
    try:
        with db.session() as s:
            return fn(s, settings, _operator(s))
    finally:
        db.dispose()


def run_rotate(args: argparse.Namespace) -> int:
    from reviewer.audit import keyrotation
    from reviewer.audit.keyring import PURPOSE_LABEL

    purpose = _purpose(args)
    if purpose is None:
        return 2

    def act(s, settings, who):  # noqa: ANN001, ANN202
        plan = keyrotation.rotate(s, settings, purpose, who)
        print(f"已轮换{PURPOSE_LABEL[purpose]}：新密钥编号 {plan.new.key_id}"
              + (f"，原密钥 {plan.old.key_id} 已退役（公钥保留在密钥登记册中，旧签名仍可验证）" if plan.old else ""))
        if purpose == "checkpoint":
            print("已用新密钥签署当前链头的检查点（重新锚定）")
        print("请立即备份数据目录（reviewer backup），并用 reviewer keys list --pem 把新公钥另存到系统外")
        return 0

    return int(_with_operator(act))


def run_compromised(args: argparse.Namespace) -> int:
    import sys
    from datetime import datetime

    from reviewer.audit import keyrotation
    from reviewer.audit.keyring import PURPOSE_LABEL
    from reviewer.audit.statistics import BEIJING

    try:
        since = datetime.fromisoformat(args.since.strip())
    except ValueError:
        print(f"--since 的值“{args.since[:40]}”不是日期或时间：应如 2026-03-01 或 2026-03-01T08:30（北京时间），未做标记",
              file=sys.stderr)
        return 2
    if since.tzinfo is None:
        since = since.replace(tzinfo=BEIJING)
    purpose = _purpose(args)
    if purpose is None:
        return 2

    def act(s, settings, who):  # noqa: ANN001, ANN202
        try:
            entry = keyrotation.compromise(s, settings, purpose, args.key_id.strip(), since, who)
        except LookupError as exc:
            print(f"未做标记：{exc.args[0]}", file=sys.stderr)
            return 1
        print(f"已把{PURPOSE_LABEL[purpose]} {entry.key_id} 标记为自 {_beijing(entry.compromised_at)} 起泄露：此后由它签出的"
              "回执和检查点不再被信任（reviewer audit verify 会列出）。请接着用 reviewer audit checkpoint 重新锚定，"
              "并通知发布系统重新读取 /api/v1/keys")
        return 0

    return int(_with_operator(act))

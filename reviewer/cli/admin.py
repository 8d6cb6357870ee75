"""Accounts: `reviewer units add|set`, `reviewer users add`, `reviewer tokens create|revoke`.
A new token is printed alone on the last line of stdout, once; only its SHA-256 is stored."""

from __future__ import annotations

import argparse
import sys

from reviewer.store.models import ROLES


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    units = sub.add_parser("units", help="单位（部门）").add_subparsers(dest="units_command", metavar="子命令", required=True)
    add = units.add_parser("add", help="新建单位")
    add.add_argument("code")
    add.add_argument("--name", required=True)
    add.add_argument("--block-policy", choices=["revise", "officer"], default="revise",
                     help="revise：含“禁止发布”发现的稿件必须修改（默认）；officer：可经保密员复核后批准")
    add.add_argument("--callback-url", default=None)
    add.set_defaults(handler=units_add)
    st = units.add_parser("set", help="修改单位策略或回调地址")
    st.add_argument("code")
    st.add_argument("--block-policy", choices=["revise", "officer"])
    st.add_argument("--callback-url", help="空字符串表示取消回调")
    st.add_argument("--publisher-counts", choices=["on", "off"],
                    help="发布系统能否看到各级发现的数量（on：可以；默认 off：只看到状态与审查意见）")
    st.set_defaults(handler=units_set)

    users = sub.add_parser("users", help="用户").add_subparsers(dest="users_command", metavar="子命令", required=True)
    uadd = users.add_parser("add", help="新建用户")
    uadd.add_argument("username")
    uadd.add_argument("--unit", required=True)
    uadd.add_argument("--role", required=True, choices=ROLES)
    uadd.add_argument("--name", default="", help="姓名")
    uadd.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    uadd.set_defaults(handler=users_add)

    tokens = sub.add_parser("tokens", help="API 令牌").add_subparsers(dest="tokens_command", metavar="子命令", required=True)
    tc = tokens.add_parser("create", help="签发令牌（只显示一次，打印在最后一行）")
    tc.add_argument("--user")
    tc.add_argument("--unit", help="发布系统令牌所属单位")
    tc.add_argument("--client", help="发布系统名称")
    tc.set_defaults(handler=tokens_create)
    tr = tokens.add_parser("revoke", help="吊销令牌")
    tr.add_argument("token", help="令牌本身，或其前缀（前 12 个字符）")
    tr.set_defaults(handler=tokens_revoke)


def _db():  # noqa: ANN202
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    return open_database(Settings.from_env())


def _run(fn) -> int:  # noqa: ANN001
    from reviewer.errors import ReviewerError

    db = _db()
    try:
        with db.session() as session:
            fn(session)
    except ReviewerError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


def units_add(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    def go(s) -> None:  # noqa: ANN001
        unit = accounts.create_unit(s, args.code, args.name, block_policy=args.block_policy)
        if args.callback_url:
            secret = accounts.set_callback(s, unit, args.callback_url)
            print(f"回调签名密钥（HMAC-SHA256，只显示一次）：{secret}")
        print(f"已新建单位 {args.code}（{args.name}）")

    return _run(go)


def units_set(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    def go(s) -> None:  # noqa: ANN001
        unit = accounts.get_unit(s, args.code)
        if args.block_policy:
            accounts.set_block_policy(s, unit, args.block_policy)
        if getattr(args, "publisher_counts", None):
            accounts.set_publisher_counts(s, unit, args.publisher_counts == "on")
        if args.callback_url is not None:
            secret = accounts.set_callback(s, unit, args.callback_url or None)
            if secret:
                print(f"回调签名密钥（HMAC-SHA256，只显示一次）：{secret}")
        print(f"已更新单位 {args.code}")

    return _run(go)


def users_add(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            print("错误：标准输入没有密码", file=sys.stderr)
            return 1

    def go(s) -> None:  # noqa: ANN001
        accounts.create_user(s, args.username, args.unit, args.role, display_name=args.name, password=password)
        print(f"已新建用户 {args.username}（{args.role}，单位 {args.unit}）")

    return _run(go)


def tokens_create(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    if bool(args.user) == bool(args.unit):
        print("错误：须指定 --user，或同时指定 --unit 与 --client", file=sys.stderr)
        return 2
    if args.unit and not args.client:
        print("错误：发布系统令牌须指定 --client 名称", file=sys.stderr)
        return 2
    out: list[str] = []

    def go(s) -> None:  # noqa: ANN001
        if args.user:
            new = accounts.create_token(s, user=accounts.get_user(s, args.user))
        else:
            new = accounts.create_token(s, unit=accounts.get_unit(s, args.unit), client_name=args.client)
        out.append(new.token)

    rc = _run(go)
    if rc == 0:
        print("令牌只显示这一次，请妥善保存：", file=sys.stderr)
        print(out[0])
    return rc


def tokens_revoke(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    def go(s) -> None:  # noqa: ANN001
        token = args.token
        if len(token) > 20:
            from sqlalchemy import select

            from reviewer.store.models import ApiToken

            record = s.execute(select(ApiToken).where(ApiToken.token_hash == accounts.token_hash(token))).scalar_one_or_none()
            accounts.revoke_token(s, record.id if record else -1)
        else:
            accounts.revoke_token(s, prefix=token)
        print("令牌已吊销")

    return _run(go)



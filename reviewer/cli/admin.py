"""Accounts: `reviewer units add|set`, `reviewer users add|link|deactivate|set-role|reset-password|unlock`,
`reviewer tokens create|rotate|revoke`. A new token is printed alone on the last line of stdout, once; only its
SHA-256 is stored. Passwords are read from standard input, never from the command line. Every change is written to
the review log: as an admin account only when it proves itself (REVIEWER_ADMIN_TOKEN, or REVIEWER_OPERATOR with its
password), else as `system`; the operating-system user is recorded either way."""

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
    add.add_argument("--unknown-author", choices=["officer", "reviewer"], default="officer",
                     help="作者身份不明（发布系统未给出或未关联账号标识）的稿件：officer 须保密员复核（默认）；reviewer 审查员一人即可批准")
    add.set_defaults(handler=units_add)
    st = units.add_parser("set", help="修改单位策略或回调地址")
    st.add_argument("code")
    st.add_argument("--block-policy", choices=["revise", "officer"])
    st.add_argument("--callback-url", help="空字符串表示取消回调")
    st.add_argument("--publisher-counts", choices=["on", "off"],
                    help="已取消：发布系统与管理员看不到任何扫描结果（含各级发现数量），以免借此试探敏感词表；只接受 off")
    st.add_argument("--unknown-author", choices=["officer", "reviewer"], help="作者身份不明的稿件由谁批准（见 units add）")
    st.add_argument("--expression-checks", choices=["on", "off"],
                    help="内置表述规则（严重表述错误：固定政治表述、涉港澳台表述、新华社禁用词）是否用于本单位稿件（默认 on）")
    st.add_argument("--site", action="append", metavar="网址", help="本单位公开网站的起始网址（可重复；供定时巡检 reviewer monitor）")
    st.add_argument("--monitor-every", metavar="间隔", help="定时巡检的间隔，如 24h、12h、7d（off 表示停止定时巡检）")
    st.add_argument("--rules", nargs="+", metavar="DIR",
                    help="本单位自己的规则目录（只扫描本单位的稿件，其他单位的人员看不到；替换原有设置）。见 docs/rules.md")
    st.add_argument("--no-rules", action="store_true", help="取消本单位自己的规则目录")
    st.set_defaults(handler=units_set)
    grp = units.add_parser("group", help="单位组：若干单位共用的规则目录（只扫描组内单位的稿件）")
    grp.add_argument("name", help="单位组名称")
    grp.add_argument("--units", nargs="*", default=[], metavar="CODE", help="组内单位代码")
    grp.add_argument("--rules", nargs="*", default=[], metavar="DIR", help="组内共用的规则目录（可与 REVIEWER_RULES_PATH 中的目录相同：该目录随即只对组内单位生效）")
    grp.set_defaults(handler=units_group)
    sc = units.add_parser("scopes", help="列出各单位、单位组的规则范围")
    sc.set_defaults(handler=units_scopes)

    users = sub.add_parser("users", help="用户").add_subparsers(dest="users_command", metavar="子命令", required=True)
    uadd = users.add_parser("add", help="新建用户")
    uadd.add_argument("username")
    uadd.add_argument("--unit", required=True)
    uadd.add_argument("--role", required=True, choices=ROLES)
    uadd.add_argument("--name", default="", help="姓名")
    uadd.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行；至少 12 个字符，不得为常见口令）")
    uadd.add_argument("--cms-id", action="append", default=[], help="此人在发布系统中的账号标识（可多次给出；用于识别稿件作者）")
    uadd.set_defaults(handler=users_add)
    link = users.add_parser("link", help="把发布系统账号标识关联到用户（识别稿件作者，作者不得审查本人稿件）")
    link.add_argument("username")
    link.add_argument("--cms-id", action="append", required=True, help="发布系统中的账号标识（可多次给出）")
    link.set_defaults(handler=users_link)
    deact = users.add_parser("deactivate", help="停用用户（其会话和令牌立即失效）")
    deact.add_argument("username")
    deact.set_defaults(handler=users_deactivate)
    role = users.add_parser("set-role", help="变更角色（其会话和令牌立即失效，须重新签发）")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(handler=users_set_role)
    reset = users.add_parser("reset-password", help="重置口令（从标准输入读取；其会话和令牌立即失效）")
    reset.add_argument("username")
    reset.set_defaults(handler=users_reset_password)
    unlock = users.add_parser("unlock", help="解除因多次登录失败造成的临时锁定")
    unlock.add_argument("username")
    unlock.set_defaults(handler=users_unlock)

    tokens = sub.add_parser("tokens", help="API 令牌").add_subparsers(dest="tokens_command", metavar="子命令", required=True)
    tc = tokens.add_parser("create", help="签发令牌（只显示一次，打印在最后一行）")
    tc.add_argument("--user")
    tc.add_argument("--unit", help="发布系统令牌所属单位")
    tc.add_argument("--client", help="发布系统名称")
    tc.add_argument("--expires-days", type=int, default=None, help="有效天数（默认 REVIEWER_TOKEN_DAYS，即 90 天）")
    tc.set_defaults(handler=tokens_create)
    tro = tokens.add_parser("rotate", help="轮换令牌：签发同一持有者的新令牌（打印在最后一行），旧令牌立即或在宽限期后失效")
    tro.add_argument("token", help="令牌本身，或其前缀（前 12 个字符）")
    tro.add_argument("--expires-days", type=int, default=None, help="新令牌有效天数")
    tro.add_argument("--grace-minutes", type=int, default=0, help="旧令牌再保留多少分钟（默认 0：立即失效）")
    tro.set_defaults(handler=tokens_rotate)
    tr = tokens.add_parser("revoke", help="吊销令牌")
    tr.add_argument("token", help="令牌本身，或其前缀（前 12 个字符）")
    tr.set_defaults(handler=tokens_revoke)


def _db():  # noqa: ANN202
    from reviewer.settings import Settings
    from reviewer.workflow.runtime import open_database

    return open_database(Settings.from_env())


def _operator(session):  # noqa: ANN001, ANN202
    if "cli-operator" not in session.info:
        session.info["cli-operator"] = _prove_operator(session)
    return session.info["cli-operator"]


def _prove_operator(session):  # noqa: ANN001, ANN202
    """Who the review log names for a command. Only an active admin account that proves itself:
    REVIEWER_ADMIN_TOKEN (an admin's API token), or REVIEWER_OPERATOR (its username) with its password typed at the
    terminal (or REVIEWER_OPERATOR_PASSWORD_FILE). A name alone is not trusted. Without either the command is
    the system's. The operating-system user is recorded in every case."""
    import os

    from reviewer.accounts import manage as accounts
    from reviewer.actor import SYSTEM, Actor, os_user
    from reviewer.errors import AuthenticationFailed

    who = os_user()
    token = os.environ.get("REVIEWER_ADMIN_TOKEN", "").strip()
    name = os.environ.get("REVIEWER_OPERATOR", "").strip()
    if token:
        actor = accounts.authenticate(session, token)
        if actor.role != "admin" or actor.user_id is None:
            raise AuthenticationFailed("REVIEWER_ADMIN_TOKEN 不是在用管理员账号的令牌，命令未执行")
        return Actor(actor.name, actor.role, actor.unit_id, actor.unit_code, actor.user_id, actor.display_name, actor.token_id,
                     os_user=who)
    if name:
        password = _operator_password()
        user = session.execute(select_user(name)).scalar_one_or_none()
        if user is None or user.role != "admin" or not password or not accounts.verify_password(user, password):
            raise AuthenticationFailed(f"无法确认操作人 {name} 的身份（须为在用管理员账号并提供其口令；仅设置 REVIEWER_OPERATOR 不被采信），命令未执行")
        return Actor.of_user(user).__class__(user.username, user.role, user.unit_id, user.unit.code, user.id,
                                             user.display_name or "", os_user=who)
    return Actor(SYSTEM.name, SYSTEM.role, None, "", os_user=who)


def select_user(name: str):  # noqa: ANN201
    from sqlalchemy import select

    from reviewer.store.models import User

    return select(User).where(User.username == name)


def _operator_password() -> str:
    import os

    path = os.environ.get("REVIEWER_OPERATOR_PASSWORD_FILE", "").strip()
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.readline().rstrip("\n")
        except OSError:
            return ""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("操作人口令：")
    return ""


def _read_password() -> str | None:
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        print("错误：标准输入没有密码", file=sys.stderr)
        return None
    return password


def _beijing(moment) -> str:  # noqa: ANN001 - a datetime (naive ones are UTC, as stored)
    from datetime import UTC

    from reviewer.audit.statistics import BEIJING

    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(BEIJING):%Y-%m-%d %H:%M}（北京时间）"


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
        unit = accounts.create_unit(s, args.code, args.name, block_policy=args.block_policy, unknown_author=args.unknown_author,
                                    actor=_operator(s))
        if args.callback_url:
            secret = accounts.set_callback(s, unit, args.callback_url, actor=_operator(s))
            print(f"回调签名密钥（HMAC-SHA256，只显示一次）：{secret}")
        print(f"已新建单位 {args.code}（{args.name}）")

    return _run(go)


def units_set(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts
    from reviewer.errors import InvalidInput

    def go(s) -> None:  # noqa: ANN001
        unit = accounts.get_unit(s, args.code)
        if args.block_policy:
            accounts.set_block_policy(s, unit, args.block_policy, actor=_operator(s))
        if getattr(args, "publisher_counts", None) == "on":
            raise InvalidInput("--publisher-counts on 已取消：发布系统看到的各级发现数量会随内容是否含词表中的词而变化，"
                               "可被用来试探敏感词表；发布系统只看到状态、审查决定与回执")
        if getattr(args, "publisher_counts", None) == "off":
            accounts.set_publisher_counts(s, unit, False, actor=_operator(s))
        if args.unknown_author:
            accounts.set_unknown_author(s, unit, args.unknown_author, actor=_operator(s))
        if getattr(args, "expression_checks", None):
            accounts.set_expression_checks(s, unit, args.expression_checks == "on", actor=_operator(s))
        if args.callback_url is not None:
            secret = accounts.set_callback(s, unit, args.callback_url or None, actor=_operator(s))
            if secret:
                print(f"回调签名密钥（HMAC-SHA256，只显示一次）：{secret}")
        if getattr(args, "site", None) or getattr(args, "monitor_every", None):
            _monitor_site(s, unit, args)
        if args.rules or args.no_rules:
            from reviewer.workflow import scopes

            dirs = scopes.set_unit_rules(s, args.code, [] if args.no_rules else args.rules, actor=_operator(s))
            print(f"单位 {args.code} 的规则目录：{'、'.join(map(str, dirs)) or '无'}；"
                  "运行 reviewer rescan --released 复扫规则有变化的单位的已发布稿件")
        print(f"已更新单位 {args.code}")

    return _run(go)


def _monitor_site(s, unit, args: argparse.Namespace) -> None:  # noqa: ANN001
    import json

    from reviewer.errors import InvalidInput
    from reviewer.workflow import monitoring

    site = monitoring.site_of(s, unit.code)
    urls = list(args.site or []) or (json.loads(site.urls) if site is not None else [])
    if not urls:
        raise InvalidInput("请先用 --site 给出本单位公开网站的网址")
    every = args.monitor_every
    if every is None:
        seconds = site.every_seconds if site is not None and site.every_seconds else 86400
    elif every.strip().lower() in ("off", "0", "none"):
        seconds = None
    else:
        seconds = monitoring.parse_every(every)
    monitoring.configure(s, unit, urls, seconds, _operator(s))
    when = f"每 {seconds // 3600} 小时" if seconds and seconds % 3600 == 0 else (f"每 {seconds} 秒" if seconds else "不定时")
    print(f"网站巡检：{'、'.join(urls)}（{when}）")
def units_group(args: argparse.Namespace) -> int:
    from reviewer.workflow import scopes

    def go(s) -> None:  # noqa: ANN001
        dirs = scopes.set_group(s, args.name, args.units, args.rules, actor=_operator(s))
        if dirs:
            print(f"单位组 {args.name}：单位 {'、'.join(args.units)}；规则目录 {'、'.join(map(str, dirs))}；"
                  "运行 reviewer rescan --released 复扫规则有变化的单位的已发布稿件")
        else:
            print(f"已删除单位组 {args.name}")

    return _run(go)


def units_scopes(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.workflow import scopes

    def go(s) -> None:  # noqa: ANN001
        rows = scopes.list_scopes(s)
        organisation = scopes.organisation_dirs(Settings.from_env(), scopes.assigned_rows(s))
        print(f"所有单位：内置规则；{'、'.join(map(str, organisation)) or '（REVIEWER_RULES_PATH 未设置）'}")
        for name, kind, codes, dirs in rows:
            who = "单位" if kind == "unit" else "单位组"
            print(f"{who} {name.split(':', 1)[1]}\t单位：{'、'.join(codes)}\t规则目录：{'、'.join(dirs)}")

    return _run(go)


def users_add(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    password = None
    if args.password_stdin:
        password = _read_password()
        if password is None:
            return 1

    def go(s) -> None:  # noqa: ANN001
        from reviewer.accounts import identity

        user = accounts.create_user(s, args.username, args.unit, args.role, display_name=args.name, password=password,
                                    actor=_operator(s))
        for cms_id in args.cms_id:
            identity.link(s, user, cms_id, actor=_operator(s))
        print(f"已新建用户 {args.username}（{args.role}，单位 {args.unit}）")
        if password is None:
            print(f"注意：未设置口令（未给 --password-stdin），用户 {args.username} 无法登录页面；"
                  f"设置口令：reviewer users reset-password {args.username}（从标准输入读取），"
                  "或只为其签发 API 令牌：reviewer tokens create --user " + args.username, file=sys.stderr)

    return _run(go)


def users_link(args: argparse.Namespace) -> int:
    from reviewer.accounts import identity
    from reviewer.accounts import manage as accounts

    def go(s) -> None:  # noqa: ANN001
        user = accounts.get_user(s, args.username)
        for cms_id in args.cms_id:
            identity.link(s, user, cms_id, actor=_operator(s))
        print(f"用户 {args.username} 关联的发布系统账号：{'、'.join(identity.links_of(s, user))}")

    return _run(go)


def users_deactivate(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    def go(s) -> None:  # noqa: ANN001
        accounts.deactivate_user(s, args.username, actor=_operator(s))
        print(f"已停用用户 {args.username}：其登录会话和 API 令牌已全部失效")

    return _run(go)


def users_set_role(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    def go(s) -> None:  # noqa: ANN001
        accounts.set_role(s, args.username, args.role, actor=_operator(s))
        print(f"用户 {args.username} 的角色已改为 {args.role}；原有会话和令牌已失效，请重新签发令牌")

    return _run(go)


def users_reset_password(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    password = _read_password()
    if password is None:
        return 1

    def go(s) -> None:  # noqa: ANN001
        accounts.reset_password(s, args.username, password, actor=_operator(s))
        print(f"已重置用户 {args.username} 的口令；其会话和令牌已失效，登录锁定已解除")

    return _run(go)


def users_unlock(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    def go(s) -> None:  # noqa: ANN001
        accounts.unlock_user(s, args.username, actor=_operator(s))
        print(f"已解除用户 {args.username} 的登录锁定")

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
            new = accounts.create_token(s, user=accounts.get_user(s, args.user), expires_days=args.expires_days, actor=_operator(s))
        else:
            new = accounts.create_token(s, unit=accounts.get_unit(s, args.unit), client_name=args.client,
                                        expires_days=args.expires_days, actor=_operator(s))
        out.append(new.token)
        if new.record.expires_at is not None:
            print(f"有效期至 {_beijing(new.record.expires_at)}", file=sys.stderr)

    rc = _run(go)
    if rc == 0:
        print("令牌只显示这一次，请妥善保存：", file=sys.stderr)
        print(out[0])
    return rc


def tokens_rotate(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    out: list[str] = []

    def go(s) -> None:  # noqa: ANN001
        new = accounts.rotate_token(s, args.token, expires_days=args.expires_days, grace_minutes=args.grace_minutes,
                                    actor=_operator(s))
        out.append(new.token)
        when = "立即" if not args.grace_minutes else f"在 {args.grace_minutes} 分钟后"
        print(f"旧令牌将{when}失效；新令牌有效期至 {_beijing(new.record.expires_at) if new.record.expires_at else '—'}",
              file=sys.stderr)

    rc = _run(go)
    if rc == 0:
        print("新令牌只显示这一次，请妥善保存：", file=sys.stderr)
        print(out[0])
    return rc


def tokens_revoke(args: argparse.Namespace) -> int:
    from reviewer.accounts import manage as accounts

    def go(s) -> None:  # noqa: ANN001
        record = accounts.find_token(s, args.token)
        accounts.revoke_token(s, record.id, actor=_operator(s))
        print("令牌已吊销")

    return _run(go)

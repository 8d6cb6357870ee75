"""`reviewer …` command line. Each module in this package that defines `register(subparsers)` adds its
commands, so adding a command group touches one file. Commands stay thin: they call the layers below.

Everything the command line prints is Chinese: argparse's own words (usage, headings, its error messages) are
translated here, and any argument or command registered without a Chinese help text gets one from HELP below."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from collections.abc import Sequence

# argparse's own messages (Python 3.11–3.13) → Chinese. Looked up through argparse's gettext hook.
ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少必填参数：%s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项值：%(value)r（可选：%(choices)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "至多需要一个值",
    "expected at least one argument": "至少需要一个值",
    "invalid %(type)s value: %(value)r": "无效的%(type)s值：%(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "选项有歧义：%(option)s 可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 必须提供其中一个",
    "ignored explicit argument %r": "忽略了多余的值 %r",
    "unexpected option string: %s": "意外的选项：%s",
    "%r is not callable": "%r 不可调用",
    "cannot merge actions - two groups are named %r": "无法合并：有两个组都叫 %r",
    "argument \"-\" with mode %r": "参数“-”的模式 %r 无效",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "No such file or directory": "文件或目录不存在",
}
ARGPARSE_ZH_PLURAL = {"expected %s argument": "需要 %s 个值", "expected %s arguments": "需要 %s 个值"}
TYPE_ZH = {"int": "整数", "float": "数字"}

# Help for arguments registered without one: (command path, dest) → Chinese.
HELP = {
    ("units add", "code"): "单位代码（如 BGS）",
    ("units add", "name"): "单位名称",
    ("units add", "callback_url"): "审查结论回调地址（可选）",
    ("units set", "code"): "单位代码",
    ("units set", "block_policy"): "含“禁止发布”项的稿件：revise 必须修改；officer 可由保密员复核后例外批准",
    ("users add", "username"): "用户名",
    ("users add", "unit"): "所属单位代码",
    ("users add", "role"): "角色：publisher 发布员、reviewer 审查员、officer 保密员、auditor 审计员、admin 管理员",
    ("tokens create", "user"): "令牌所属用户名（不填则为发布系统令牌）",
    ("audit export", "format"): "导出格式（默认 csv）",
    ("audit export", "decision"): "签署意见：approve 批准发布、reject 不予发布、return 退回修改",
    ("audit export", "item_id"): "稿件编号",
    ("audit export", "external_id"): "发布系统中的外部编号",
    ("audit stats", "year"): "年份（必填）",
    ("audit stats", "month"): "月份（不填为全年）",
    ("audit stats", "format"): "输出格式：table 表格、csv、xlsx（默认 table）",
    ("db upgrade", "revision"): "目标版本（默认 head，即最新）",
    ("serve", "port"): "端口（默认 8000）",
}
DESCRIPTION = {
    "scan": (
        "审查本机文件（不需要数据库或队列），逐个列出发现。目录会递归遍历，其中每个文件都审查（不按文件名跳过；\n"
        "要少审查一些文件用 --exclude）；空目录、0 字节文件、失效的符号链接都算“无法读取”。\n"
        "退出状态：0 全部未发现问题；1 有稿件需人工审查或禁止发布；2 有稿件无法读取（或规则无效）。"
    ),
    "fingerprints": (
        "登记文件（内部、涉密文件的指纹，只存带密钥的哈希，不存原文）。\n"
        "  build  读取每个源文件（目录会递归遍历），写出 DIR/ID.yaml（指纹规则）、DIR/ID.fp（只含哈希）\n"
        "         和 DIR/ID.key（规则密钥，权限 0600，请与规则一同妥善保管）；DIR 中已有同名规则时拒绝覆盖（加 --force 才覆盖）。\n"
        "  add    同上，但登记到数据库：所有工作进程加载，并复扫已发布稿件。\n"
        "  list   列出数据库中的登记文件（只显示名称和公开部分所占比例；已停用的注明）。\n"
        "  retire --id ID --reason 理由   停用一条登记（保留记录，不再扫描）；delete 同样的参数：删除（指纹与密钥销毁）。\n"
        "  public build --out FILE 公开文本...  把法规、新闻等公开文本做成参照列表；build/add 加 --public FILE，\n"
        "         其中出现过的段落已经公开，不登记，并列出每份文件的公开部分。\n"
        "退出状态：0 完成；2 有源文件未能完整读取或参数有误（不写入任何内容）。"
    ),
}
METAVAR = {
    "year": "年份", "month": "月份", "out": "文件", "since": "日期", "until": "日期", "unit": "单位代码",
    "reviewer": "用户名", "rule": "规则", "item_id": "编号", "external_id": "外部编号", "port": "端口", "host": "地址",
    "workers": "数量", "name": "名称", "user": "用户名", "code": "单位代码", "username": "用户名", "revision": "版本",
    "callback_url": "地址", "redis_port": "端口", "samples": "目录", "role": "角色", "actor": "操作人",
    "item": "编号", "limit": "条数", "action": "事件", "expect_head": "哈希", "rules": "目录",
    "client": "名称", "expires_days": "天数", "cms_id": "账号标识", "grace_minutes": "分钟", "older_than": "秒数",
    "token": "令牌", "id": "规则编号", "message": "说明", "by": "登记人", "exclude": "模式", "paths": "路径",
    "reason": "理由",
}
# English placeholders a command gave itself (metavar="PATH") → Chinese; any other is shown as 值.
METAVAR_UPPER = {"PATH": "路径", "DIR": "目录", "TEXT": "文本", "SOURCE": "源文件", "FILE": "文件", "ID": "编号",
                 "OUT": "输出", "IN": "输入", "URL": "地址", "N": "数量", "PATTERN": "模式"}
_ASCII_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_\-]*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _gettext(message: str) -> str:
    return ARGPARSE_ZH.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return ARGPARSE_ZH_PLURAL.get(singular if n == 1 else plural, singular if n == 1 else plural)


def install_chinese_argparse() -> None:
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]


class ChineseParser(argparse.ArgumentParser):
    def _get_value(self, action: argparse.Action, arg_string: str):  # type: ignore[no-untyped-def]
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError as exc:
            name = getattr(action.type, "__name__", "")
            if name in TYPE_ZH:
                raise argparse.ArgumentError(action, f"应为{TYPE_ZH[name]}，收到 {arg_string!r}") from exc
            raise


def _chinese(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> None:
    """Fill in Chinese help where a command left it out; use the Chinese description where one is written here."""
    key = " ".join(path)
    if key in DESCRIPTION:
        parser.description = DESCRIPTION[key]
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                _chinese(sub, (*path, name))
            continue
        if not isinstance(action, argparse._HelpAction) and (not action.help or not _CJK.search(str(action.help))):
            action.help = HELP.get((key, action.dest), action.help)
        if action.metavar is None and action.choices is None and action.nargs != 0 and action.dest != "help":
            if action.dest in METAVAR or action.dest.isascii():
                action.metavar = METAVAR.get(action.dest, "值")
        elif isinstance(action.metavar, str) and _ASCII_PLACEHOLDER.match(action.metavar):
            action.metavar = METAVAR_UPPER.get(action.metavar, "值")


def build_parser() -> argparse.ArgumentParser:
    install_chinese_argparse()
    parser = ChineseParser(prog="reviewer", description="发布前保密审查（先审查、后公开）")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=ChineseParser)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    _chinese(parser)
    return parser


def worker_help() -> str:
    """`reviewer worker --help` in Chinese (celery's own is English), with the queues the code really declares."""
    from workers.app import QUEUE_DESCRIPTIONS, QUEUES

    width = max(len(q) for q in QUEUES)
    queues = "\n".join(f"  {q:<{width}}  {QUEUE_DESCRIPTIONS.get(q, '')}" for q in QUEUES)
    return f"""用法：reviewer worker [celery worker 的参数 …]

启动扫描进程（Celery worker，应用 workers.app）。其后的参数原样交给 celery worker，例如：
  reviewer worker --concurrency 2          同时扫描 2 件稿件
  reviewer worker --pool solo              单进程（调试用）
  reviewer worker --loglevel INFO          日志级别（默认 INFO）
  reviewer worker -Q {QUEUES[0]}                只处理指定队列（可用逗号分隔多个）
不带 -Q 时处理全部队列。队列：
{queues}
生产部署按队列分开：reviewer worker -Q {",".join(q for q in QUEUES if q != "render")} 与 reviewer worker -Q render（见 docs/operations.md）。
Celery 自身的英文参数说明：python -m celery -A workers.app worker --help
"""


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["worker"] and any(a in ("-h", "--help") for a in args_list[1:2]):
        print(worker_help(), end="")  # celery's own help is English: say in Chinese what matters here
        return 0
    parser = build_parser()
    args = parser.parse_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except BrokenPipeError:  # `reviewer scan … | head`: the reader left; no traceback, and no more output
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure answers in one Chinese line (reviewer/cli/_failures.py)
        from reviewer.cli import _failures

        known = _failures.explain(exc)
        if known is None and _failures.debug():
            raise
        line, code = known or _failures.describe_unexpected(exc)
        print(line, file=sys.stderr)
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

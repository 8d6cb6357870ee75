"""`reviewer fingerprints build|add|list|public build`: registered documents (docs/fingerprints.md).

  build  --id ID [--severity block|review] [--label TEXT]... [--common DIR]... [--public PATH]... [--force] --out DIR SOURCE...
         reads every source (any format the intake reads; directories are walked) and writes DIR/ID.yaml (kind
         fingerprint), DIR/ID.fp (keyed hashes only) and DIR/ID.key (the rule's secret key, mode 0600). An existing
         rule ID in DIR is never replaced without --force (its key would be lost).
         --public: a public reference list (made by `public build`) or a directory of public text: passages found
         there are already public and are not registered; the share left out is printed per document.
  add    the same, into the database: every worker loads it, released items are re-scanned. The share of each
         document found in the unit's released items is shown; --exclude-released leaves those passages out too.
  list   the documents registered in the database (labels and the public share only; retired ones say so).
  retire --id ID --reason TEXT [--by NAME]   a registration stops scanning; it stays listed and in the log.
  delete --id ID --reason TEXT [--by NAME]   a registration's fingerprints and key are destroyed (logged).
  public build --out FILE SOURCE...
         turns public text (laws, news, speeches, the unit's published documents) into a public reference list:
         the public hashes of its selected grams, the same form as the common-shingle list (no text is kept).

Exit status: 0 done; 2 a source could not be read completely or the arguments are wrong (nothing is written)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewer.errors import ReviewerError, exception_zh


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("fingerprints", help="登记文件（内部、涉密文件的指纹，只存哈希）", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    cmds = p.add_subparsers(dest="fingerprints_command", metavar="子命令", required=True)
    b = cmds.add_parser("build", help="把源文件登记为一条指纹规则（写入规则目录）")
    _common_args(b)
    b.add_argument("--out", required=True, type=Path, metavar="DIR", help="规则目录（写入 ID.yaml、ID.fp、ID.key）")
    b.add_argument("--force", action="store_true",
                   help="覆盖目录中已有的同名规则及其密钥（默认拒绝：旧密钥一旦被覆盖，按它生成的指纹再也无法比对）")
    b.set_defaults(handler=run_build)
    a = cmds.add_parser("add", help="把源文件登记到数据库（所有工作进程加载，并复扫已发布稿件）")
    _common_args(a)
    a.add_argument("--by", default="admin", help="登记人（写入审查日志）")
    a.add_argument("--scope", default=None, metavar="SCOPE",
                   help="适用范围：unit:单位代码（只扫描该单位稿件）、单位组名称或 group:名称；不给或 all 为所有单位（与以往相同）")
    a.set_defaults(handler=run_add)
    a.add_argument("--exclude-released", action="store_true",
                   help="本单位已发布稿件中出现过的段落也不登记（默认仍登记，并显示其所占比例：已发布稿件若摘抄了新登记的"
                        "文件，复扫会发出发布后预警）")
    ls = cmds.add_parser("list", help="列出数据库中的登记文件（只显示名称和公开部分所占比例；已停用的注明）")
    ls.set_defaults(handler=run_list)
    for name, helptext in (("retire", "停用一条登记：保留记录，不再用于扫描（记入审查日志）"),
                           ("delete", "删除一条登记：指纹与密钥销毁（记入审查日志）")):
        m = cmds.add_parser(name, help=helptext)
        m.add_argument("--id", required=True, help="规则 id（reviewer fingerprints list 的第一列）")
        m.add_argument("--reason", required=True, help="理由（记入审查日志）")
        m.add_argument("--by", default="admin", help="操作人（写入审查日志）")
        m.set_defaults(handler=run_manage, manage=name)
    pub = cmds.add_parser("public", help="公开文本参照列表（登记时不登记已公开的段落）")
    pub_cmds = pub.add_subparsers(dest="public_command", metavar="子命令", required=True)
    pb = pub_cmds.add_parser("build", help="把公开文本（法规、新闻、讲话、本单位已公开的文件）做成参照列表")
    pb.add_argument("sources", nargs="+", metavar="SOURCE", help="公开文本文件或目录（接收稿件时能读的任何格式）")
    pb.add_argument("--out", required=True, type=Path, metavar="FILE", help="写出的参照列表文件（如 公开文本.pub）")
    pb.set_defaults(handler=run_public_build)


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="源文件或目录（txt、html、docx、xlsx、pdf 等）")
    p.add_argument("--id", required=True, help="规则 id（小写字母、数字、点、下划线、连字符）")
    p.add_argument("--severity", choices=["block", "review"], default="block", help="发现的级别（默认 block）")
    p.add_argument("--label", action="append", default=[], metavar="TEXT",
                   help="登记文件名称（可重复，依次对应各源文件；默认取文件名去掉扩展名）")
    p.add_argument("--message", default="", help="发现的说明（中文；有默认值）")
    p.add_argument("--common", action="append", default=[], type=Path, metavar="DIR",
                   help="公开文本目录：其中出现过的片段不登记（可重复；另有内置的常用语列表）")
    p.add_argument("--no-default-common", action="store_true", help="不使用内置的常用语列表")
    p.add_argument("--public", action="append", default=[], type=Path, metavar="PATH",
                   help="公开文本参照列表（fingerprints public build 生成）或公开文本目录：其中出现过的段落已经公开，"
                        "不登记，并统计每份登记文件中公开部分所占比例（可重复）")


def source_paths(raw: list[str]) -> list[Path]:
    out: list[Path] = []
    for item in raw:
        path = Path(item)
        if path.is_dir():
            out.extend(sorted(f for f in path.rglob("*") if f.is_file() and not any(
                part.startswith(".") for part in f.relative_to(path).parts)))
        else:
            out.append(path)
    return out


def read_sources(paths: list[Path], labels: list[str]) -> list[tuple[str, list[str]]]:
    """(label, paragraphs) of every source; any source not read completely raises ReviewerError (nothing is
    registered from a document that was only partly read)."""
    from reviewer.scan.fingerprints import read_source

    if len(labels) > len(paths):
        raise ReviewerError(f"给出了 {len(labels)} 个 --label，但只有 {len(paths)} 个源文件")
    out = []
    for i, path in enumerate(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ReviewerError(f"无法读取源文件 {path}（{exception_zh(exc).removeprefix(str(path) + '：')}）")
        label, paragraphs = read_source(data, path.name, labels[i] if i < len(labels) else None)
        out.append((label, paragraphs))
    return out


def common_list(dirs: list[Path], default: bool):  # noqa: ANN201 - numpy array
    import numpy as np

    from reviewer.extract import extract
    from reviewer.scan.fingerprints import common_hashes_of, default_common

    parts = [default_common()] if default else []
    texts: list[str] = []
    for d in dirs:
        if not d.is_dir():
            raise ReviewerError(f"--common 目录 {d} 不存在")
        for path in source_paths([str(d)]):
            extraction = extract(path.read_bytes(), path.name)
            if extraction.error:
                raise ReviewerError(f"--common 中的文件 {path} 无法完整读取：{extraction.error}")
            texts.append("\n".join(p.text for p in extraction.parts))
    if texts:
        parts.append(common_hashes_of(texts, 1))
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)


def _public_texts(paths: list[Path], option: str) -> list[str]:
    from reviewer.extract import extract

    texts: list[str] = []
    for path in paths:
        if not path.is_file():
            raise ReviewerError(f"{option}文件 {path} 不存在或不是文件")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ReviewerError(f"无法读取{option}文件 {path}（{exc.strerror or exc}）")
        extraction = extract(data, path.name)
        if extraction.error:
            raise ReviewerError(f"{option}文件 {path} 无法完整读取：{extraction.error}")
        texts.append("\n".join(p.text for p in extraction.parts if not p.spans_only))
    return texts


def public_list(paths: list[Path]):  # noqa: ANN201 - numpy array or None
    """The union of the public reference lists and public-text directories given with --public (None: none given)."""
    import numpy as np

    from reviewer.scan.fingerprints import public_hashes_of, read_public

    if not paths:
        return None
    parts = []
    for path in paths:
        if path.is_dir():
            parts.append(public_hashes_of(_public_texts(source_paths([str(path)]), "--public 目录中的")))
        elif path.is_file():
            try:
                parts.append(read_public(path))
            except (OSError, ValueError) as exc:
                raise ReviewerError(str(exc))
        else:
            raise ReviewerError(f"--public {path} 不存在")
    return np.unique(np.concatenate(parts))


def run_public_build(args: argparse.Namespace) -> int:
    from reviewer.scan.fingerprints import public_hashes_of, write_public

    try:
        paths = source_paths(args.sources)
        if not paths:
            raise ReviewerError("没有找到公开文本文件")
        hashes = public_hashes_of(_public_texts(paths, "公开文本"))
        write_public(args.out, hashes)
    except ReviewerError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"错误：无法写出 {args.out}（{exc.strerror or exc}）", file=sys.stderr)
        return 2
    print(f"已生成公开文本参照列表 {args.out}：{len(paths)} 份公开文本，{len(hashes)} 个片段哈希（不含原文）；"
          f"登记时用 --public {args.out}")
    return 0


def run_build(args: argparse.Namespace) -> int:
    import re

    from reviewer.ruleset.model import RULE_ID
    from reviewer.scan.fingerprints import Builder

    try:
        if not re.match(RULE_ID, args.id):
            raise ReviewerError(f"规则 id “{args.id}” 不合法：只能用小写字母、数字、点、下划线和连字符")
        existing = [p for p in (args.out / f"{args.id}.{ext}" for ext in ("yaml", "fp", "key")) if p.exists()]
        if existing and not args.force:
            raise ReviewerError(f"规则目录中已有规则 {args.id}（{'、'.join(str(p) for p in existing)}）；"
                                "覆盖会替换其密钥和指纹。确需覆盖请加 --force，否则换一个 --id")
        sources = read_sources(source_paths(args.sources), args.label)
        builder = Builder(common=common_list(args.common, not args.no_default_common), public=public_list(args.public))
        for label, paragraphs in sources:
            builder.add(label, paragraphs)
        yaml_path, data_path, key_path = builder.write(args.out, args.id, severity=args.severity, message=args.message)
    except ReviewerError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    from reviewer.errors import RuleError
    from reviewer.ruleset.loader import load_rules

    try:
        version = f"规则目录版本 {load_rules([args.out]).version}"
    except RuleError as exc:  # another file in DIR is invalid: the new rule is written, the directory needs a fix
        version = f"注意：目录中另有规则文件无效（{exc.message}）"
    print(f"已登记 {len(sources)} 份文件（{builder.characters} 个有效字符）：{yaml_path}、{data_path}（仅含哈希）、"
          f"{key_path}（密钥，请与规则一同妥善保管）；{version}")
    _print_public(builder)
    return 0


def _print_public(builder) -> None:  # noqa: ANN001 - scan.fingerprints.Builder (imported lazily)
    from reviewer.scan.fingerprints import public_share_text

    if builder.public_share is None:
        return
    print(f"已见于公开文本而未登记：整体{public_share_text(builder.public_share)}")
    for d in builder.documents:
        print(f"  {d.label}\t{d.paragraphs} 段\t{public_share_text(d.public_share)}")


def run_add(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.workflow import fingerprints as registry
    from reviewer.workflow.runtime import open_database

    try:
        sources = read_sources(source_paths(args.sources), args.label)
        common = common_list(args.common, not args.no_default_common)
        public = public_list(args.public)
    except ReviewerError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    enqueuer = None
    try:
        from workers.app import CeleryEnqueuer, make_celery

        enqueuer = CeleryEnqueuer(make_celery(settings))
    except Exception:  # noqa: BLE001 - no broker configured: the sweeper and `reviewer rescan --released` catch up
        enqueuer = None
    db = open_database(settings, enqueuer)
    try:
        with db.session() as session:
            outcome = registry.register(session, args.id, sources, severity=args.severity, message=args.message,
                                        common=common, actor_name=args.by, public=public,
                                        exclude_released=args.exclude_released, scope=args.scope)
    except ReviewerError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    from reviewer.scan.fingerprints import public_share_text

    released = f"{int((outcome.released_share or 0) * 100 + 0.5)}%"
    print(f"已登记 {len(sources)} 份文件到规则 {args.id}（数据库）；已见于公开文本而未登记：{public_share_text(outcome.public_share)}；"
          f"已见于本单位已发布稿件：{released}{'（未登记）' if args.exclude_released else '（仍登记，复扫时预警）'}；"
          f"已投递 {outcome.rescans} 件已发布稿件的复扫任务")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from reviewer.settings import Settings
    from reviewer.workflow import fingerprints as registry
    from reviewer.workflow.runtime import open_database

    db = open_database(Settings.from_env())
    try:
        with db.session() as session:
            rows = registry.list_sets(session, everything=True)
    finally:
        db.dispose()
    from reviewer.cli.admin import _beijing

    for row in rows:
        retired = f"\t已停用（{_beijing(row.retired_at)}）" if row.retired_at is not None else ""
        print(f"{row.rule_id}\t{row.severity}\t{row.documents} 份\t{row.public_text}\t{_beijing(row.created_at)}\t"
              f"{'、'.join(row.labels[:5])}{retired}")
    if not rows:
        print("数据库中尚无登记文件")
    return 0


def run_manage(args: argparse.Namespace) -> int:
    """`retire` / `delete` a stored registration by its rule id, as the command line's operator (`--by`)."""
    from sqlalchemy import select

    from reviewer.actor import Actor, os_user
    from reviewer.settings import Settings
    from reviewer.store.models import FingerprintSet
    from reviewer.workflow import fingerprints as registry
    from reviewer.workflow.runtime import open_database

    db = open_database(Settings.from_env())
    try:
        with db.session() as session:
            set_id = session.execute(select(FingerprintSet.id).where(FingerprintSet.rule_id == args.id)).scalar()
            if set_id is None:
                print(f"错误：数据库中没有规则 id 为“{args.id}”的登记（见 reviewer fingerprints list）", file=sys.stderr)
                return 2
            who = Actor(args.by, "admin", None, "", os_user=os_user())  # the OS user is logged beside the name
            if args.manage == "retire":
                registry.retire(session, set_id, who, args.reason)
            else:
                registry.delete(session, set_id, who, args.reason)
    except ReviewerError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(f"已{'停用' if args.manage == 'retire' else '删除'}登记 {args.id}（已记入审查日志）")
    return 0

"""`reviewer scan [--rules DIR]... [--format text|json] PATH...`

Exit status: 0 every input passes; 1 some input needs review or is blocked; 2 some input could not be read
(or the rules are invalid). A directory is read completely (no file is skipped by its name; --exclude PATTERN
for less); an empty directory, a 0-byte file, a broken symbolic link or a special file is an input that could not be
read (exit 2). Every input goes through reviewer.document.scan_document, so new formats come for free."""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from reviewer.errors import RuleError, os_error_zh
from reviewer.scan.model import SEVERITY_LABEL, VERDICT_LABEL, Finding, ScanResult, Severity, Verdict

_RED, _YELLOW, _DIM, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[2m", "\033[1m", "\033[0m"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("scan", help="审查文件（目录会递归遍历，- 表示标准输入）", description=__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH", help="文件、目录或 -（标准输入）")
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="追加规则目录（可重复）")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="目录中不审查的文件（通配符，如 '*.md' 或 'docs/*'，按相对路径或文件名匹配；可重复）；默认每个文件都审查")
    p.add_argument("--no-default-rules", action="store_true", help="不加载内置规则和 REVIEWER_RULES_PATH")
    p.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认 text）")
    p.add_argument("--show-info", action="store_true", help="文本输出中也列出“提示”级结果")
    p.add_argument("--render", action="store_true",
                   help="同时按读者看到的样子渲染并识别每一页（PDFium、LibreOffice、Chromium、OCR），核对显示内容（较慢）")
    p.set_defaults(handler=run)


def iter_inputs(paths: list[str], exclude: list[str] | None = None) -> Iterator[tuple[str, str, bytes | None, str | None]]:
    """(shown path, file name for the extractor, bytes or None, read error). A directory is walked completely: every
    file is read, whatever its name (README, dot files …), unless an --exclude pattern names it. What cannot be read
    is an input with an error, never silently left out: an empty directory, a broken symbolic link, a special file."""
    for raw in paths:
        if raw == "-":
            yield _checked("-", "stdin.txt", sys.stdin.buffer.read())
            continue
        path = Path(raw)
        if path.is_dir():
            entries = sorted(p for p in path.rglob("*") if p.is_symlink() or not p.is_dir())
            kept = [p for p in entries if not _excluded(p.relative_to(path), exclude or [])]
            if not kept:
                why = "目录中没有文件" if not entries else f"目录中的 {len(entries)} 个文件都被 --exclude 排除"
                yield str(path), path.name, None, f"{why}，没有可审查的内容"
            for f in kept:
                yield from _read(f)
        else:
            yield from _read(path)


def _excluded(relative: Path, patterns: list[str]) -> bool:
    text = relative.as_posix()
    return any(fnmatch.fnmatchcase(text, pat) or fnmatch.fnmatchcase(relative.name, pat) for pat in patterns)


def _checked(shown: str, name: str, data: bytes) -> tuple[str, str, bytes | None, str | None]:
    if not data:
        return shown, name, None, "文件为空（0 字节），没有可审查的内容"
    return shown, name, data, None


def _read(path: Path) -> Iterator[tuple[str, str, bytes | None, str | None]]:
    if path.is_symlink() and not path.exists():
        yield str(path), path.name, None, "无法读取文件：符号链接指向的文件不存在"
        return
    if path.is_symlink() and path.is_dir():  # a walk does not follow links into other directories: say so
        yield str(path), path.name, None, "未读取：符号链接指向一个目录（请直接给出该目录）"
        return
    if path.exists() and not path.is_file() and not path.is_dir():
        yield str(path), path.name, None, "无法读取：不是普通文件（管道、设备或套接字）"
        return
    try:
        yield _checked(str(path), path.name, path.read_bytes())
    except OSError as exc:
        yield str(path), path.name, None, f"无法读取文件：{os_error_zh(exc).removeprefix(str(path) + '：')}"


def run(args: argparse.Namespace) -> int:
    from reviewer.document import scan_document
    from reviewer.scan.scanner import Scanner

    try:
        scanner = Scanner.load(*args.rules, defaults=not args.no_default_rules)
    except RuleError as exc:
        print(f"规则错误：{exc.message}", file=sys.stderr)
        return 2
    if args.render:
        from reviewer.render import missing_message

        missing = missing_message()
        if missing:
            print(missing, file=sys.stderr)
            return 2
    out = sys.stdout
    color = out.isatty()
    verdicts: list[Verdict] = []
    rendered = None
    if args.render:  # the worker's settings (REVIEWER_RENDER_TIME_LIMIT, REVIEWER_RENDER_MAX_PAGES), read once
        from functools import partial

        from reviewer.render import scan_rendered
        from reviewer.render.check import RenderLimits
        from reviewer.render.glyphs import GLYPH_MEMORY_FILE
        from reviewer.settings import Settings

        env = Settings.from_env()
        # the deployment's glyph memory when this machine has a data directory (a scan never creates one)
        memory = str(env.data_dir / GLYPH_MEMORY_FILE) if env.data_dir.is_dir() else None
        rendered = partial(scan_rendered, limits=RenderLimits(max_seconds=env.render_time_limit,
                                                              max_pages=env.render_max_pages, glyph_memory=memory))
    for shown, name, data, error in iter_inputs(args.paths, args.exclude):
        if data is None:
            result = ScanResult(rules_version=scanner.rules_version, error=error)
        elif rendered is not None:
            result, report = rendered(scanner, data, name)
        else:
            result = scan_document(scanner, data, name)
        verdicts.append(result.verdict)
        if args.format == "json":
            doc = to_json(shown, result)
            if args.render and data is not None:
                doc["render"] = report.summary()
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        else:
            print_text(out, shown, result, color=color, show_info=args.show_info)
    if args.format == "text":
        print_summary(out, verdicts, scanner.rules_version)
    return exit_code(verdicts)


def exit_code(verdicts: list[Verdict]) -> int:
    if Verdict.ERROR in verdicts:
        return 2
    if Verdict.BLOCK in verdicts or Verdict.REVIEW in verdicts:
        return 1
    return 0


def to_json(path: str, result: ScanResult) -> dict[str, object]:
    return {
        "path": path,
        "verdict": str(result.verdict),
        "rules_version": result.rules_version,
        "findings": [f.to_dict() for f in result.findings],
        "error": result.error,
        "encoding": result.encoding,
    }


def _highlight(f: Finding, color: bool) -> str:
    before, hit, after = f.highlight()
    if color:
        tone = _RED if f.severity == Severity.BLOCK else _YELLOW
        return f"{before}{tone}{_BOLD}{hit}{_RESET}{after}"
    return f"{before}【{hit}】{after}"


def print_text(out: TextIO, path: str, result: ScanResult, *, color: bool, show_info: bool) -> None:
    verdict = result.verdict
    label = VERDICT_LABEL[verdict]
    if color:
        tone = {Verdict.PASS: "", Verdict.REVIEW: _YELLOW, Verdict.BLOCK: _RED, Verdict.ERROR: _RED}[verdict]
        label = f"{tone}{_BOLD}{label}{_RESET}"
    counts = result.counts()
    out.write(f"{path}：{label}")
    if result.findings:
        out.write(f"（禁止 {counts['block']} 项，需审查 {counts['review']} 项，提示 {counts['info']} 项）")
    out.write("\n")
    if result.error:
        out.write(f"  错误：{result.error}\n")
    hidden = 0
    for f in result.findings:
        if f.severity == Severity.INFO and not show_info:
            hidden += 1
            continue
        span = f"第 {f.start + 1}–{f.end} 字" if f.end > f.start and f.page is None else ""
        box = f"页面区域 {list(f.box)}" if f.box else ""
        where = "，".join(x for x in (f.location, span, box) if x)
        out.write(f"  [{SEVERITY_LABEL[f.severity]}] {f.message}（规则 {f.rule}，{where}）\n")
        if f.context:
            out.write(f"      {_highlight(f, color)}\n")
        if f.explanation:
            note = f"      说明：{f.explanation}\n"
            out.write(f"{_DIM}{note}{_RESET}" if color else note)
    if hidden:
        out.write(f"  另有 {hidden} 条提示（加 --show-info 显示）\n")


def print_summary(out: TextIO, verdicts: list[Verdict], version: str) -> None:
    n = {v: verdicts.count(v) for v in Verdict}
    out.write(
        f"共审查 {len(verdicts)} 个文件：未发现问题 {n[Verdict.PASS]}，需人工审查 {n[Verdict.REVIEW]}，"
        f"禁止发布 {n[Verdict.BLOCK]}，无法读取 {n[Verdict.ERROR]}（规则版本 {version}）\n"
    )

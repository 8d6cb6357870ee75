"""Load rule files from directories: YAML -> typed models, `id == file stem`, unique ids, terms files, version hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from reviewer.errors import RuleError, exception_zh
from reviewer.ruleset.model import FingerprintRule, Rule, TermsRule

_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)
RULE_SUFFIXES = (".yaml", ".yml")
EXAMPLES_SUFFIX = ".examples.txt"
_KINDS = {"terms", "pattern", "marking", "exemption", "fingerprint", "expression", "titles"}


@dataclass(frozen=True, slots=True)
class LoadedRule:
    rule: Rule
    path: Path
    terms: tuple[str, ...] = ()  # inline terms + terms_file, for `terms` rules
    digest: str = ""  # sha256 of the rule file and its terms file

    @property
    def examples_path(self) -> Path:
        return self.path.with_name(self.path.stem + EXAMPLES_SUFFIX)


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[LoadedRule, ...]
    directories: tuple[Path, ...] = field(default=())

    @property
    def version(self) -> str:
        """Hash of the loaded rule content (not of paths or mtimes): stable across runs and machines."""
        h = hashlib.sha256()
        for lr in sorted(self.rules, key=lambda r: r.rule.id):
            h.update(lr.rule.id.encode() + b"\0" + lr.digest.encode() + b"\n")
        return h.hexdigest()[:16]


def _explain(exc: ValidationError) -> tuple[str, str]:
    """(field, Chinese message with the fix) for the pydantic errors of one file."""
    lines = []
    first_field = ""
    for err in exc.errors():
        parts = list(err["loc"])
        if parts and parts[0] in _KINDS:  # the discriminated union puts the kind first
            parts = parts[1:]
        kind = err["type"]
        if kind in {"union_tag_invalid", "union_tag_not_found"}:
            parts = ["kind"]
        loc = ".".join(str(p) for p in parts)
        first_field = first_field or loc
        if kind == "missing":
            text = "缺少必填字段，请补上"
        elif kind == "extra_forbidden":
            text = "未知字段，请删除或检查拼写"
        elif kind == "enum":
            text = "取值不合法，severity 只能是 block、review 或 info"
        elif kind == "union_tag_invalid":
            text = "取值不合法，应为 terms、pattern、marking、exemption、expression 或 titles（登记文件规则为 fingerprint）"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected") or err.get("ctx", {}).get("expected_tags", "")
            text = f"取值不合法，应为 {expected}"
        elif kind == "union_tag_not_found":
            text = "缺少 kind 字段，应为 terms、pattern、marking、exemption、expression 或 titles（登记文件规则为 fingerprint）"
        elif kind == "string_pattern_mismatch":
            text = "格式不合法：只能用小写字母、数字、点、下划线和连字符"
        elif kind == "too_short":
            text = "不能为空，请至少填写一项"
        elif kind == "value_error":
            text = str(err.get("ctx", {}).get("error", err["msg"]))
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            text = f"类型不对（{err['msg']}），请按 docs/scanning.md 的示例填写"
        else:
            text = f"{err['msg']}（请按 docs/scanning.md 修改）"
        lines.append(f"{loc or '（整个文件）'}：{text}")
    return first_field, "；".join(lines)


def read_terms_file(path: Path) -> list[str]:
    """One term a line, UTF-8, `#` starts a comment line; blank lines ignored."""
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        term = line.strip()
        if term and not term.startswith("#"):
            out.append(term)
    return out


def parse_rule_file(path: Path) -> LoadedRule:
    shown = str(path)
    try:
        raw_bytes = path.read_bytes()
        raw = yaml.safe_load(raw_bytes.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"无法读取文件（{exception_zh(exc)}），请确认是 UTF-8 文本", path=shown) from exc
    except yaml.YAMLError as exc:
        raise RuleError(f"YAML 语法错误：{exc}；请检查缩进和冒号", path=shown) from exc
    if not isinstance(raw, dict):
        raise RuleError("文件内容应为键值映射（id: …、kind: …），请参照 docs/scanning.md", path=shown)
    try:
        rule = _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        where, message = _explain(exc)
        raise RuleError(message, path=shown, field=where) from exc
    if rule.id != path.stem:
        raise RuleError(f"id “{rule.id}” 与文件名不一致；请把 id 改为 “{path.stem}” 或重命名文件", path=shown, field="id")
    h = hashlib.sha256(raw_bytes)
    terms: tuple[str, ...] = ()
    if isinstance(rule, TermsRule):
        collected = list(rule.terms)
        if rule.terms_file:
            tf = path.parent / rule.terms_file
            try:
                data = tf.read_bytes()
                collected += read_terms_file(tf)
            except (OSError, UnicodeDecodeError) as exc:
                raise RuleError(
                    f"词表文件 {tf} 无法读取（{exception_zh(exc)}）；请确认文件存在且为 UTF-8", path=shown, field="terms_file"
                ) from exc
            h.update(b"\0terms\0" + data)
        if not collected:
            raise RuleError("词表为空，请至少填写一个词语", path=shown, field="terms")
        terms = tuple(collected)
    if isinstance(rule, FingerprintRule):
        # The data file is pinned by data_sha256 (part of the YAML bytes) and checked when the index loads; the key
        # file is small and read here, so a new key also changes the rule-set version.
        try:
            h.update(b"\0key\0" + (path.parent / rule.key_file).read_bytes())
            if rule.documents_file:
                h.update(b"\0documents\0" + (path.parent / rule.documents_file).read_bytes())
        except OSError as exc:
            raise RuleError(f"密钥或登记文件清单无法读取（{exception_zh(exc)}）；请确认 {rule.key_file} 等文件与规则文件在同一目录",
                            path=shown, field="key_file") from exc
    return LoadedRule(rule=rule, path=path, terms=terms, digest=h.hexdigest())


def rule_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise RuleError("规则目录不存在，请检查 --rules 或 REVIEWER_RULES_PATH", path=str(directory))
    return sorted(p for p in directory.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())


def load_rules(directories: Iterable[Path]) -> RuleSet:
    """Load every rule file; the first invalid file raises RuleError. The same directory given twice loads once."""
    seen_dirs: list[Path] = []
    for d in directories:
        d = Path(d).resolve()
        if d not in seen_dirs:
            seen_dirs.append(d)
    loaded: list[LoadedRule] = []
    ids: dict[str, Path] = {}
    for d in seen_dirs:
        for path in rule_files(d):
            lr = parse_rule_file(path)
            if lr.rule.id in ids:
                raise RuleError(
                    f"规则 id “{lr.rule.id}” 重复（另见 {ids[lr.rule.id]}）；每条规则的 id 必须唯一，请改名",
                    path=str(path),
                    field="id",
                )
            ids[lr.rule.id] = path
            loaded.append(lr)
    return RuleSet(rules=tuple(loaded), directories=tuple(seen_dirs))

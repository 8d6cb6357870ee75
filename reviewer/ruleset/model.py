"""Typed rule models. A rule file is YAML whose `id` equals its file stem; `kind` selects the model."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reviewer.rulebase import VALIDATOR_NAMES as VALIDATORS
from reviewer.rulebase import Severity

RULE_ID = r"^[a-z0-9][a-z0-9_.-]*$"


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=RULE_ID)]
    severity: Severity
    # Chinese title shown to people (reviewers' pages, reports). Optional for loading, required by `rules check`.
    title: str = ""
    category: str = "其他"
    message: str = ""
    references: list[str] = Field(default_factory=list)


class TermsRule(_Base):
    """A list of terms (inline or from a sibling UTF-8 file, one term a line, `#` comments)."""

    kind: Literal["terms"]
    terms: list[str] = Field(default_factory=list)
    terms_file: str | None = None
    # `any`: a hit inside a larger word is downgraded to info and explained; `word`: such a hit is dropped.
    boundary: Literal["any", "word"] = "any"

    @model_validator(mode="after")
    def _has_terms(self) -> TermsRule:
        if not self.terms and not self.terms_file:
            raise ValueError("terms 与 terms_file 至少填写一项")
        return self


class ContextRule(BaseModel):
    """Context words within `window` characters of a hit set the severity (the first group that matches wins)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    words: list[str] = Field(min_length=1)
    severity: Severity
    window: int = Field(default=16, ge=1, le=200)


class NamedPattern(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"正则表达式无法编译：{exc}") from exc
        return value


class PatternRule(_Base):
    """Regular expressions with an optional validator and context words.
    `anchor` says where the regex is tried: `digits` (around runs of at least `min_digits` digits, the fast path for
    numbers), `numerals` (around runs of at least `min_numerals` Chinese numerals 〇一二…九/壹贰…玖, a space or hyphen
    allowed between two: numbers written in Chinese digits; the match must overlap the run), `words` (just after one of
    `anchor_words`, e.g. 家庭住址), `text` (the whole folded text; slower, for patterns without digits) or `hidden` (the original text, on each run of characters that folding deletes as
    invisible, such as bidi controls; such hits are never exempted)."""

    kind: Literal["pattern"]
    patterns: list[NamedPattern] = Field(min_length=1)
    validator: str | None = None
    # Severity when the validator rejects the match; null drops the match.
    invalid_severity: Severity | None = None
    context: list[ContextRule] = Field(default_factory=list)
    anchor: Literal["digits", "numerals", "text", "hidden", "words"] = "digits"
    min_digits: int = Field(default=6, ge=1, le=30)
    min_numerals: int = Field(default=17, ge=2, le=60)
    # `anchor: words`: the regex is tried only from where one of these words starts (found by the automaton, so no
    # pass over the whole text) up to `anchor_window` characters further; the regex should begin with the word.
    anchor_words: list[str] = Field(default_factory=list)
    anchor_window: int = Field(default=60, ge=2, le=400)
    # characters before the anchor word that the regex may also cover (住宅门牌: 179号3单元, anchored on 单元)
    anchor_before: int = Field(default=0, ge=0, le=100)
    # True: a match counts only where one of the `context` groups is found near it (护照号码 E12345678; a bare
    # letter and eight digits is a product or file number).
    require_context: bool = False

    @model_validator(mode="after")
    def _context_for_required(self) -> PatternRule:
        if self.require_context and not self.context:
            raise ValueError("require_context 为 true 时必须填写 context（上下文词语）")
        if (self.anchor == "words") != bool(self.anchor_words):
            raise ValueError("anchor_words 与 anchor: words 必须同时使用（anchor: words 时填写锚点词语）")
        return self

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str | None) -> str | None:
        if value is not None and value not in VALIDATORS:
            raise ValueError(f"未知的校验器“{value}”，可用：{', '.join(sorted(VALIDATORS))}")
        return value


class MarkingRule(_Base):
    """Marking grammar. `classification`: 密级(★保密期限) at the head or anywhere with ★; `copy_number`: a 6-digit 份号
    line at the head; `standalone`: a marker that stands on its own line or in brackets (内部资料, 此件不予公开),
    optionally also as the end of a head title line (`title_suffix`, for 征求意见稿)."""

    kind: Literal["marking"]
    grammar: Literal["classification", "copy_number", "standalone"]
    markers: list[str] = Field(default_factory=list)
    head_lines: int = Field(default=6, ge=1, le=50)
    title_suffix: bool = False
    # Severity of a marker word used in ordinary prose (a mention, not a marking); null: not reported.
    mention_severity: Severity | None = None
    # Markers that count wherever they stand in running text (instructions that public text never contains:
    # 请勿外传, 此件不予公开, 内部资料), unless the hit lies inside an exemption phrase (内部资料性出版物).
    inline_markers: list[str] = Field(default_factory=list)
    # Markers that count in running text where they end their clause (注意保存。), not as a verb with an object.
    clause_markers: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _markers(self) -> MarkingRule:
        if self.grammar != "copy_number" and not self.markers:
            raise ValueError("markers 不能为空（copy_number 以外的语法都需要标志词）")
        missing = [w for w in [*self.inline_markers, *self.clause_markers] if w not in self.markers]
        if missing:
            raise ValueError(f"inline_markers / clause_markers 中的“{'、'.join(missing)}”也必须列在 markers 中")
        if self.grammar == "copy_number" and (self.inline_markers or self.clause_markers):
            raise ValueError("copy_number 语法不使用 inline_markers / clause_markers")
        return self


class ExemptionRule(_Base):
    """Phrases in whose span a hit does not count (保守国家秘密, 涉密不上网 …)."""

    kind: Literal["exemption"]
    phrases: list[str] = Field(min_length=1)
    severity: Severity = Severity.INFO


class FingerprintDocument(BaseModel):
    """One registered source: its label (shown in findings) and how many paragraphs it has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=300)
    paragraphs: int = Field(ge=0)
    # share of its selections found in public text and left out (fingerprints build --public); absent: not measured
    public_share: float | None = Field(default=None, ge=0, le=1)


class FingerprintRule(_Base):
    """Registered documents, written by `reviewer fingerprints build` (docs/fingerprints.md): keyed hashes of
    winnowed character grams in `data_file` (checked against `data_sha256`), the per-rule secret in `key_file`.
    Nothing of the registered text is kept; `gram`, `window` and `hash` must be those the scanner implements."""

    kind: Literal["fingerprint"]
    severity: Severity = Severity.BLOCK
    category: str = "登记文件"
    hash: str
    gram: int = Field(ge=4, le=64)
    window: int = Field(ge=1, le=64)
    data_file: str = Field(min_length=1)
    data_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    key_file: str = Field(min_length=1)
    # The registered sources, inline, or for large sets in a JSON file beside the rule ([{label, paragraphs}, …]).
    documents: list[FingerprintDocument] = Field(default_factory=list)
    documents_file: str | None = None




def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"正则表达式无法编译：{exc}") from exc
    return value


class ExpressionEntry(BaseModel):
    """One wrong form and its 规范表述. The wrong form is found by the automaton (folded like every term); the
    optional context regexes are tried only there, on the folded text: `before` must match text that ends where the
    wrong form starts, `after` text that starts where it ends; `not_before` / `not_after` cancel the hit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wrong: str = Field(min_length=2, max_length=50)
    right: str = Field(min_length=1, max_length=100)
    # the public guidance the entry comes from (document name, issuing body, and where it was read)
    source: str = Field(min_length=4)
    before: str | None = None
    after: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    note: str = ""

    _compiles = field_validator("before", "after", "not_before", "not_after")(_regex)

    @model_validator(mode="after")
    def _differs(self) -> ExpressionEntry:
        if self.wrong == self.right:
            raise ValueError(f"wrong 与 right 相同（“{self.wrong}”），请改正")
        return self


class ExpressionRule(_Base):
    """严重表述错误: wrong forms of fixed political, legal and territorial expressions with their 规范表述. A finding
    says “应为：…” and carries the suggestion. A wrong form that is quoted in a sentence that corrects or cites it
    (更正、误写为、不得使用 …) is only a note (a correction notice, a 通报 listing errors)."""

    kind: Literal["expression"]
    category: str = "表述"
    entries: list[ExpressionEntry] = Field(min_length=1)
    # characters on either side of the wrong form that the context regexes read
    window: int = Field(default=40, ge=4, le=200)

    @model_validator(mode="after")
    def _unique(self) -> ExpressionRule:
        seen: set[tuple[str, str | None, str | None]] = set()
        for e in self.entries:
            key = (e.wrong, e.before, e.after)
            if key in seen:
                raise ValueError(f"表述“{e.wrong}”重复（同样的上下文条件出现两次），请合并")
            seen.add(key)
        return self


class PersonTitles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=2, max_length=20)
    titles: list[str] = Field(min_length=1)


class TitlesRule(_Base):
    """A unit's own people and their titles (姓名 ↔ 职务) and required orders (排序). A name next to a title that is
    not one of its own is a finding (“应为：…”); names of an order list that appear in one list (a sentence, names at
    most `gap` characters apart) in another order are a finding. Kept by the unit like its term list."""

    kind: Literal["titles"]
    category: str = "表述"
    people: list[PersonTitles] = Field(min_length=1)
    # titles the unit uses that belong to nobody listed (a listed name next to one of them is still wrong)
    titles: list[str] = Field(default_factory=list)
    orders: list[list[str]] = Field(default_factory=list)
    gap: int = Field(default=16, ge=1, le=100)

    @model_validator(mode="after")
    def _consistent(self) -> TitlesRule:
        names = [p.name for p in self.people]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"people 中姓名重复：{'、'.join(dup)}；每人只写一项，职务都列在 titles 中")
        for order in self.orders:
            if len(order) < 2:
                raise ValueError("orders 的每一项至少要有两个姓名")
            unknown = [n for n in order if n not in names]
            if unknown:
                raise ValueError(f"orders 中的“{'、'.join(unknown)}”不在 people 中，请先在 people 中列出")
            if len(set(order)) != len(order):
                raise ValueError("orders 的同一项中姓名重复")
        return self

    def all_titles(self) -> list[str]:
        return sorted({t for p in self.people for t in p.titles} | set(self.titles), key=lambda t: (-len(t), t))


Rule = Annotated[
    TermsRule | PatternRule | MarkingRule | ExemptionRule | FingerprintRule | ExpressionRule | TitlesRule,
    Field(discriminator="kind"),
]

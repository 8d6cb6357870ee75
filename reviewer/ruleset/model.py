"""Typed rule models. A rule file is YAML whose `id` equals its file stem; `kind` selects the model."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reviewer.scan.model import Severity
from reviewer.scan.validators import VALIDATORS

RULE_ID = r"^[a-z0-9][a-z0-9_.-]*$"


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=RULE_ID)]
    severity: Severity
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
    numbers) or `text` (the whole text; slower, for patterns without digits)."""

    kind: Literal["pattern"]
    patterns: list[NamedPattern] = Field(min_length=1)
    validator: str | None = None
    # Severity when the validator rejects the match; null drops the match.
    invalid_severity: Severity | None = None
    context: list[ContextRule] = Field(default_factory=list)
    anchor: Literal["digits", "text"] = "digits"
    min_digits: int = Field(default=6, ge=1, le=30)

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

    @model_validator(mode="after")
    def _markers(self) -> MarkingRule:
        if self.grammar != "copy_number" and not self.markers:
            raise ValueError("markers 不能为空（copy_number 以外的语法都需要标志词）")
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


Rule = Annotated[
    TermsRule | PatternRule | MarkingRule | ExemptionRule | FingerprintRule, Field(discriminator="kind")
]

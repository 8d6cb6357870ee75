"""What a signer says about one finding, and what each answer means for approval.

    须修改 must_fix        the finding stands and the draft must change (the API alias `confirmed` means this)
    属实但可公开 public_ok  the finding is true but this content may be published; a reason is required
    误报 false_positive     the rule was wrong here; a reason is required
    已修改 fixed            a finding the author has removed: it is never a finding of the version being signed (the scan
                            found it in this very content), so a signer cannot give it; the page shows findings of the
                            version before that are gone from this one as 已修改 (finding-level diff)

A finding *still stands* when it is marked must_fix, or public_ok at the 禁止发布 / 需人工审查 level. Approving a
version with a finding still standing is an exception (例外批准): a reason for each such finding, the signer's
explicit confirmation, and a secrecy officer's second signature (workflow.desk.enforce). The label table is repeated
in audit/queries.py (audit imports nothing from workflow); tests/workflow/test_dispositions.py keeps them equal."""

from __future__ import annotations

MUST_FIX = "must_fix"
FIXED = "fixed"
PUBLIC_OK = "public_ok"
FALSE_POSITIVE = "false_positive"
CONFIRMED = "confirmed"  # the old value (确认): accepted in the HTTP API and forms, stored as must_fix

DISPOSITIONS = (MUST_FIX, FIXED, PUBLIC_OK, FALSE_POSITIVE)
SIGNABLE = (MUST_FIX, PUBLIC_OK, FALSE_POSITIVE)  # what a signer may give a finding of the version being signed
ALIASES = {CONFIRMED: MUST_FIX}
NEEDS_REASON = (PUBLIC_OK, FALSE_POSITIVE)
LABEL = {
    MUST_FIX: "须修改",
    FIXED: "已修改",
    PUBLIC_OK: "属实但可公开",
    FALSE_POSITIVE: "误报",
    CONFIRMED: "须修改",  # records signed before the dispositions were named
}
STANDING_PUBLIC_SEVERITIES = ("block", "review")


def normalize(value: str) -> str:
    """The stored value of what was sent (`confirmed` → `must_fix`); unknown values come back unchanged (refused later)."""
    value = (value or "").strip()
    return ALIASES.get(value, value)


def stands(disposition: str, severity: str) -> bool:
    """Does the finding still stand after this disposition (so approving it is an exception)?"""
    d = normalize(disposition)
    return d == MUST_FIX or (d == PUBLIC_OK and severity in STANDING_PUBLIC_SEVERITIES)

"""Domain errors. Every message is Chinese because a person reads it; the API maps each class to one HTTP status."""

from __future__ import annotations


class ReviewerError(Exception):
    """Base of every domain error. `message` is shown to people (Chinese)."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleError(ReviewerError):
    """A rule file is invalid. `path` and `field` say where; the message says how to fix it."""

    def __init__(self, message: str, *, path: str = "", field: str = "") -> None:
        where = path + (f" 字段 {field}" if field else "")
        super().__init__(f"{where}：{message}" if where else message)
        self.path = path
        self.field = field


class ExtractionError(ReviewerError):
    """A document could not be read completely. The scan verdict becomes `error` (fail closed)."""

    http_status = 422


class LimitExceeded(ExtractionError):
    """A protective limit (size, decompressed size, entries, time) was exceeded."""

    http_status = 413


class NotFound(ReviewerError):
    http_status = 404


class PermissionDenied(ReviewerError):
    http_status = 403


class AuthenticationFailed(ReviewerError):
    http_status = 401


class Conflict(ReviewerError):
    """E.g. the content SHA-256 sent with a sign-off is not the item's."""

    http_status = 409


class InvalidTransition(ReviewerError):
    """A workflow transition whose guard failed."""

    http_status = 409


class ServiceUnavailable(ReviewerError):
    http_status = 503


class InvalidInput(ReviewerError):
    """A request that is well-formed but whose values are not acceptable (e.g. a disposition for another item)."""

    http_status = 422


class RateLimited(ReviewerError):
    """Too many requests from one token in a time window; `retry_after` seconds until the next is accepted."""

    http_status = 429

    def __init__(self, message: str, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyRequests(ReviewerError):
    """Throttled (login attempts, a saturated password check): try again later."""

    http_status = 429

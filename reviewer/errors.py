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


# errno → Chinese, for every message built from an OSError (never "[Errno 2] No such file or directory: …").
_ERRNO_ZH = {
    "ENOENT": "文件或目录不存在", "EACCES": "没有权限", "EPERM": "操作不被允许", "EISDIR": "这是一个目录",
    "ENOTDIR": "路径中有一段不是目录", "ENOSPC": "磁盘空间不足", "EROFS": "文件系统只读", "EEXIST": "文件已存在",
    "ENAMETOOLONG": "文件名过长", "ELOOP": "符号链接循环", "EMFILE": "打开的文件过多", "EIO": "输入输出错误",
    "ECONNREFUSED": "连接被拒绝", "ETIMEDOUT": "连接超时", "EHOSTUNREACH": "主机不可达", "ENETUNREACH": "网络不可达",
    "EADDRINUSE": "端口已被占用", "EDQUOT": "超出磁盘配额", "ETXTBSY": "文件正被使用", "ENOTEMPTY": "目录不是空的",
}
# Exception classes whose names would otherwise reach a reader: what each means, in Chinese.
_EXCEPTION_ZH = {
    "UnidentifiedImageError": "无法识别的图像格式", "DecompressionBombError": "图像像素数超过安全上限",
    "DecompressionBombWarning": "图像像素数超过安全上限", "MemoryError": "内存不足", "TimeoutError": "超时",
    "RecursionError": "结构嵌套过深", "UnicodeDecodeError": "文字编码无法识别", "UnicodeEncodeError": "文字编码无法转换",
    "BadZipFile": "压缩包已损坏", "PdfiumError": "PDF 无法打开", "PdfReadError": "PDF 无法读取",
    "ConnectionError": "无法连接", "ConnectionRefusedError": "连接被拒绝", "PermissionError": "没有权限",
    "FileNotFoundError": "文件或目录不存在", "IsADirectoryError": "这是一个目录", "EOFError": "文件意外结束",
    "ValueError": "数据格式不对", "KeyError": "缺少必需的内容", "struct.error": "文件结构已损坏", "error": "文件结构已损坏",
}


def os_error_zh(exc: OSError) -> str:
    """An OSError in Chinese: '<file>：<reason>' (the reason from errno; never Python's English text)."""
    import errno as errno_names

    name = errno_names.errorcode.get(exc.errno or 0, "")
    reason = _ERRNO_ZH.get(name) or _EXCEPTION_ZH.get(type(exc).__name__) or (
        f"操作系统错误 {exc.errno}" if exc.errno else "操作系统错误")
    filename = exc.filename if exc.filename is not None else ""
    return f"{filename}：{reason}" if filename else reason


def exception_zh(exc: BaseException) -> str:
    """What an unexpected exception means, in Chinese, for a message a person reads (its class name only as a last
    resort, in parentheses, so that the cause stays findable in the logs)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return os_error_zh(exc)
    name = type(exc).__name__
    meaning = _EXCEPTION_ZH.get(name)
    if meaning is None:
        for base in type(exc).__mro__[1:]:
            meaning = _EXCEPTION_ZH.get(base.__name__)
            if meaning:
                break
    return meaning or f"意外错误（{name}）"

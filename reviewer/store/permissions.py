"""The data directory holds every draft, every matched term, the signing keys and the callback secrets: it must be
readable by the service account only. At start (API, worker, pages) `secure_storage(settings)` makes the data
directory 0700 and the files in it (and the SQLite database with its -wal/-shm files, wherever they are) 0600,
sets the process umask to 077 so that files created later are private too, and refuses to start — with a Chinese
message — when that is not possible (another owner, a read-only mount)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

from reviewer.errors import ReviewerError, exception_zh

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


class InsecureStorage(ReviewerError):
    http_status = 503


def sqlite_files(database_url: str) -> list[Path]:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    base = Path(url.database)
    return [base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm"), base.with_name(base.name + "-journal")]


def _fix(path: Path, mode: int, what: str) -> bool:
    """Make `path` exactly `mode` (permission bits); True when it had to be changed."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        st = path.stat()
    if st.st_uid != os.geteuid() and os.geteuid() != 0:
        raise InsecureStorage(f"{what} {path} 属于其他用户（uid {st.st_uid}），拒绝启动：请用服务账号运行或更正属主")
    if stat.S_IMODE(st.st_mode) & ~mode == 0:
        return False
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & mode)
    except OSError as exc:
        raise InsecureStorage(f"{what} {path} 的权限为 {oct(stat.S_IMODE(st.st_mode))}，无法改为 {oct(mode)}（{exception_zh(exc).removeprefix(str(path) + '：')}），拒绝启动")
    log.warning("%s 的权限过宽，已收紧为不超过 %s", path, oct(mode))
    return True


def secure_storage(data_dir: Path, database_url: str, *, set_umask: bool = True) -> list[Path]:
    """Check and fix; returns the paths whose permissions were tightened. Raises InsecureStorage."""
    if set_umask:
        os.umask(0o077)
    fixed: list[Path] = []
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if _fix(data_dir, DIR_MODE, "数据目录"):
        fixed.append(data_dir)
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            if _fix(Path(root) / name, DIR_MODE, "数据目录"):
                fixed.append(Path(root) / name)
        for name in files:
            if _fix(Path(root) / name, FILE_MODE, "数据文件"):
                fixed.append(Path(root) / name)
    for path in sqlite_files(database_url):
        if _fix(path, FILE_MODE, "数据库文件"):
            fixed.append(path)
    return fixed

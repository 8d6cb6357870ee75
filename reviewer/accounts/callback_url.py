"""Where a unit's decision callbacks may go (no loopback, link-local or reserved addresses unless allowed; https
unless allowed). Checked when an administrator sets the URL (accounts.manage) and again at every delivery
(workflow.callbacks, which resolves the host)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from reviewer.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    allow_http: bool = False
    allow_hosts: tuple[str, ...] = ()


def policy_of(session: Session) -> UrlPolicy:
    settings = getattr(session.info.get("runtime"), "settings", None)
    if settings is None:
        return UrlPolicy()
    return UrlPolicy(bool(settings.callback_allow_http), tuple(settings.callback_allow_hosts))


def _allowed(host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, policy: UrlPolicy) -> bool:
    for entry in policy.allow_hosts:
        if entry == host:
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return bool(address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast
                or address.is_reserved or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local))


def check_url(url: str, policy: UrlPolicy, *, resolve: bool = False) -> None:
    """Raise InvalidInput (Chinese) when callbacks may not go to `url`. With `resolve`, every address the host
    resolves to is checked too (at delivery: a name that resolves to 127.0.0.1 or 169.254.169.254 is refused)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidInput("回调地址格式无效")
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise InvalidInput("回调地址必须以 https:// 开头")
    if scheme == "http" and not policy.allow_http:
        raise InvalidInput("回调地址必须使用 https（明文 http 须由管理员设置 REVIEWER_CALLBACK_ALLOW_HTTP=1 明确允许）")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidInput("回调地址不能包含用户名或口令")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise InvalidInput("回调地址缺少主机名")
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is None and (host == "localhost" or host.endswith(".localhost")):
        if not _allowed(host, None, policy):
            raise InvalidInput("回调地址不能指向本机（localhost），除非管理员在 REVIEWER_CALLBACK_ALLOW_HOSTS 中明确允许")
    if literal is not None:
        addresses = [literal]
    elif resolve:
        try:
            infos = socket.getaddrinfo(host, port or (443 if scheme == "https" else 80), type=socket.SOCK_STREAM)
        except OSError:
            raise InvalidInput("回调地址的主机名无法解析")
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    else:
        addresses = []
    for address in addresses:
        if _forbidden(address) and not _allowed(host, address, policy):
            raise InvalidInput(
                "回调地址指向本机、链路本地（含云元数据地址 169.254.169.254）或保留地址，已拒绝；"
                "如确需使用，须由管理员在 REVIEWER_CALLBACK_ALLOW_HOSTS 中明确允许"
            )

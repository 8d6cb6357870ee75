"""MIME messages written by hand for the e-mail and MHTML tests: every header, boundary and transfer encoding is
spelled out here (no email-library generator), so the tests see what mail programs and browsers really write."""

from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass, field


def encoded_word(text: str, charset: str = "gb18030", how: str = "B") -> str:
    """An RFC 2047 encoded word (`=?GBK?B?…?=`)."""
    raw = text.encode(charset)
    if how == "B":
        body = base64.b64encode(raw).decode()
    else:  # Q: letters and digits as they are, space as _, every other byte =XX (no soft line breaks)
        body = "".join(chr(b) if chr(b).isascii() and chr(b).isalnum() else "_" if b == 32 else f"={b:02X}" for b in raw)
    return f"=?{charset.upper()}?{how}?{body}?="


@dataclass
class Part:
    content_type: str  # with parameters, e.g. 'text/plain; charset="gbk"'
    body: bytes
    encoding: str = "base64"  # base64 | quoted-printable | 8bit | 7bit
    headers: dict[str, str] = field(default_factory=dict)

    def render(self) -> bytes:
        if self.encoding == "base64":
            b64 = base64.b64encode(self.body).decode()
            payload = "\r\n".join(b64[i : i + 76] for i in range(0, len(b64), 76)).encode()
        elif self.encoding == "quoted-printable":
            payload = quopri.encodestring(self.body).replace(b"\n", b"\r\n")
        else:
            payload = self.body
        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        return (f"Content-Type: {self.content_type}\r\nContent-Transfer-Encoding: {self.encoding}\r\n{head}\r\n").encode() \
            + payload


def multipart(subtype: str, parts: list[Part | bytes], boundary: str, params: str = "", preamble: str = "") -> bytes:
    """A multipart body (its own Content-Type header first), each part a Part or an already rendered entity."""
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"{params}\r\n\r\n'.encode()]
    if preamble:
        out.append(preamble.encode("gb18030") + b"\r\n")
    for p in parts:
        out.append(f"--{boundary}\r\n".encode())
        out.append(p.render() if isinstance(p, Part) else p)
        out.append(b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def message(headers: dict[str, str], body: bytes) -> bytes:
    """Top-level headers, then a rendered entity (which starts with its own Content-Type)."""
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"MIME-Version: 1.0\r\n" + body

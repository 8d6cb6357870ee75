"""Electronic seals (电子签章) of an OFD: a Signature whose SignedInfo holds a StampAnnot is shown by readers as the
seal's picture at the StampAnnot's Boundary on its page. The picture sits inside the signed value (SES_Signature,
GM/T 0031, DER): it is found by walking the DER structure for an OCTET STRING that holds a PNG, JPEG, GIF or BMP
image (the ESPictrueInfo data). The signature itself is not verified here (that is the signing system's business);
a seal whose picture cannot be found (an OFD-format seal picture, an unknown encoding) fails the check."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from reviewer.extract.ofd import _Doc
from reviewer.extract.ooxml import local
from reviewer.render.convert import RenderError

_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
MAX_DEPTH = 12


@dataclass(slots=True)
class Seal:
    page_id: str
    boundary: str
    picture: bytes


def _unsupported() -> RenderError:
    return RenderError("OFD 文件含电子签章，但其印章图像（签名值中的 PNG/JPEG/GIF/BMP 图片）无法读出，"
                       "未能核对显示内容，不得视为通过")


def _der(data: bytes, start: int, end: int, depth: int) -> bytes | None:
    """The first image held by an OCTET STRING (or a BIT STRING) in DER data[start:end], depth first."""
    i = start
    while i + 2 <= end:
        tag = data[i]
        length = data[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7F
            if n == 0 or n > 4 or i + n > end:
                return None
            length = int.from_bytes(data[i : i + n], "big")
            i += n
        if i + length > end:
            return None
        body = data[i : i + length]
        if tag in (0x04, 0x03):
            raw = body[1:] if tag == 0x03 else body
            if raw.startswith(_MAGIC):
                return raw
            if depth < MAX_DEPTH and raw[:1] == b"\x30":  # DER wrapped in an OCTET STRING
                found = _der(data, i + (1 if tag == 0x03 else 0), i + length, depth + 1)
                if found is not None:
                    return found
        elif tag & 0x20 and depth < MAX_DEPTH:  # constructed: SEQUENCE, SET, context-specific
            found = _der(data, i, i + length, depth + 1)
            if found is not None:
                return found
        i += length
    return None


def picture(signed_value: bytes) -> bytes:
    found = _der(signed_value, 0, len(signed_value), 0)
    if found is None:
        raise _unsupported()
    return found


def seals(doc: _Doc, body: Element) -> list[Seal]:
    """The seals a reader shows: one per StampAnnot of each signature listed by the document body."""
    sig = next((c for c in body if isinstance(c.tag, str) and local(c.tag) == "Signatures"), None)
    if sig is None or not (sig.text or "").strip():
        return []
    index_path = doc.resolve("", sig.text)
    out: list[Seal] = []
    for el in doc.xml(index_path).iter():
        if not isinstance(el.tag, str) or local(el.tag) != "Signature":
            continue
        path = doc.resolve(posixpath.dirname(index_path), el.get("BaseLoc"))
        root = doc.xml(path)
        stamps = [e for e in root.iter() if isinstance(e.tag, str) and local(e.tag) == "StampAnnot"]
        if not stamps:
            continue
        value = next((e for e in root.iter() if isinstance(e.tag, str) and local(e.tag) == "SignedValue"), None)
        if value is None or not (value.text or "").strip():
            raise _unsupported()
        image = picture(doc.pkg.read(doc.resolve(posixpath.dirname(path), value.text)))
        out.extend(Seal(s.get("PageRef", ""), s.get("Boundary") or "", image) for s in stamps)
    return out

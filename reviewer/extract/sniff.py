"""Decide a document's format from its content, not only its file name: a renamed file is read as what it is."""

from __future__ import annotations

import io
import re
import zipfile
from enum import StrEnum


class Format(StrEnum):
    TEXT = "text"
    HTML = "html"
    DOCX = "docx"
    XLSX = "xlsx"
    PDF = "pdf"
    LEGACY = "legacy"  # OLE2 (.doc/.xls/.wps/.et), RTF, OpenDocument: needs LibreOffice
    ENCRYPTED_OFFICE = "encrypted-office"  # an OOXML file with a password is an OLE2 box holding EncryptedPackage
    JSON = "json"
    PPTX = "pptx"
    ZIP_OTHER = "zip-other"  # a zip that is no Office package: an archive, read member by member
    SEVEN_ZIP = "7z"
    GZIP = "gzip"
    TAR = "tar"
    ZIP_BROKEN = "zip-broken"
    IMAGE = "image"  # a picture on its own: its metadata is read (imagemeta.py), its pixels need review or OCR
    BINARY = "binary"
    MHTML = "mhtml"  # a web page saved as one MIME file (.mht/.mhtml; Word's "single file web page", also as .doc)
    EML = "eml"  # an e-mail message (RFC 5322 + MIME)
    XML = "xml"  # feeds, data exports: every text node and attribute
    OFD = "ofd"  # GB/T 33190 fixed-layout document (a zip with OFD.xml)


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
JSON_SUFFIXES = {".json", ".geojson", ".jsonl", ".ndjson"}
ARCHIVE_SUFFIXES = {".zip", ".7z"}
TEXT_SUFFIXES = {"", ".txt", ".text", ".md", ".markdown", ".csv", ".tsv", ".log"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
LEGACY_SUFFIXES = {".doc": "docx", ".wps": "docx", ".rtf": "docx", ".odt": "docx", ".xls": "xlsx", ".et": "xlsx", ".ods": "xlsx",
                   ".ppt": "pptx", ".pps": "pptx", ".dps": "pptx", ".odp": "pptx"}
MIME_SUFFIXES = {".mht": Format.MHTML, ".mhtml": Format.MHTML, ".eml": Format.EML}
XML_SUFFIXES = {".xml", ".rss", ".atom"}
OOXML_SUFFIXES = {
    ".docx": Format.DOCX, ".docm": Format.DOCX, ".dotx": Format.DOCX, ".xlsx": Format.XLSX, ".xlsm": Format.XLSX,
    ".pptx": Format.PPTX, ".pptm": Format.PPTX, ".ppsx": Format.PPTX,
}  # fmt: skip

# Binary formats we recognise only to name them in the error message.
_BINARY_MAGIC = (
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"\x7fELF", "可执行程序"),
    (b"PK\x07\x08", "分卷 ZIP 压缩包"),
)


def binary_kind(data: bytes) -> str | None:
    for magic, name in _BINARY_MAGIC:
        if data.startswith(magic):
            return name
    return None


_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8", b"BM")


def is_image(data: bytes) -> bool:
    """A picture the render check reads as pages (PNG, JPEG, TIFF, GIF, BMP, WebP): there is no text to extract."""
    return data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _is_picture(data: bytes) -> bool:
    """is_image, strict about BMP: a text file may start with "BM"; a bitmap has zero reserved bytes after its size."""
    if data.startswith(b"BM"):
        return len(data) > 26 and data[6:10] == b"\x00\x00\x00\x00"
    return is_image(data) and not (data.startswith(b"GIF8") and data[4:6] not in (b"7a", b"9a"))


def is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def is_zip(data: bytes) -> bool:
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def zip_format(data: bytes) -> Format:
    """DOCX or XLSX by the parts the package holds; anything else is ZIP_OTHER (or LEGACY for OpenDocument)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if "OFD.xml" in names:
                return Format.OFD
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                if zf.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
                    return Format.LEGACY
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return Format.ZIP_BROKEN
    # An Office package has its main part or a content-types part; an archive that merely holds a folder called
    # `word/` is an archive.
    package = "[Content_Types].xml" in names
    if "word/document.xml" in names or (package and any(n.startswith("word/") for n in names)):
        return Format.DOCX
    if "xl/workbook.xml" in names or (package and any(n.startswith("xl/") for n in names)):
        return Format.XLSX
    if "ppt/presentation.xml" in names or (package and any(n.startswith("ppt/") for n in names)):
        return Format.PPTX
    return Format.ZIP_OTHER


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or (head.startswith(b"<?xml") and b"<html" in head)


def sniff(data: bytes, suffix: str) -> Format:
    """The format to read `data` as. `suffix` only decides between formats the content cannot tell apart."""
    if data.startswith(OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            return Format.ENCRYPTED_OFFICE
        return Format.LEGACY
    if is_pdf(data):
        return Format.PDF
    if is_zip(data):
        return zip_format(data)
    if data.startswith(SEVEN_ZIP_MAGIC):
        return Format.SEVEN_ZIP
    if data.startswith(b"\x1f\x8b"):
        return Format.GZIP
    if len(data) > 262 and data[257:262] == b"ustar":
        return Format.TAR
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return Format.LEGACY
    if _is_picture(data):
        return Format.IMAGE
    if binary_kind(data):
        return Format.BINARY
    mime = mime_format(data, suffix)
    if mime is not None:
        return mime
    if suffix in HTML_SUFFIXES or looks_like_html(data):
        return Format.HTML
    if suffix in JSON_SUFFIXES or (suffix in ("", ".txt") and looks_like_json(data)):
        return Format.JSON
    if suffix in XML_SUFFIXES or looks_like_xml(data):
        return Format.XML
    return Format.TEXT


def looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    tail = data[-64:].rstrip(b" \t\r\n\x00")
    return head[:1] in (b"{", b"[") and tail[-1:] in (b"}", b"]")


_HEADER = re.compile(rb"[!-9;-~]+:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n")
_MAIL_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"received", b"return-path", b"cc")


def mime_format(data: bytes, suffix: str) -> Format | None:
    """MHTML or e-mail by its header block: a MIME message declares MIME-Version or Content-Type before its first blank
    line (a letter pasted into a .txt draft does not); multipart/related is a saved web page unless named .eml."""
    head = data[:16384].lstrip(b"\xef\xbb\xbf\r\n")
    names: list[bytes] = []
    pos = 0
    while pos < len(head) and len(names) < 200:
        m = _HEADER.match(head, pos)
        if m is None:
            break
        names.append(m.group(0).split(b":", 1)[0].strip().lower())
        pos = m.end()
    ended = head[pos : pos + 2] in (b"\r\n", b"\n\r") or head[pos : pos + 1] == b"\n"
    if not names or not ended:
        return None
    if suffix in MIME_SUFFIXES and (b"content-type" in names or b"mime-version" in names or any(n in names for n in _MAIL_HEADERS)):
        return MIME_SUFFIXES[suffix]
    if b"mime-version" not in names and b"content-type" not in names:
        return None
    related = re.search(rb"(?im)^content-type:\s*multipart/related", head[:pos]) is not None
    return Format.MHTML if related else Format.EML


def looks_like_xml(data: bytes) -> bool:
    """An XML declaration or a root element that is not HTML (feeds and data exports)."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"\xff\xfe<\x00", b"\xfe\xff\x00<")):
        return True
    return head.startswith(b"<?xml") and b"<html" not in head.lower()

"""What DOCX and XLSX share: a zip package read within limits, XML parsed without DTDs or entities, properties."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from reviewer.errors import ExtractionError, LimitExceeded
from reviewer.extract.limits import Budget
from reviewer.extract.model import ExtractionIssue
from reviewer.extract.parts import PartBuilder
from reviewer.scan.model import Severity

_CHUNK = 1 << 20
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class Package:
    """A zip package whose entries are read with their real (not declared) size counted against the budget."""

    def __init__(self, data: bytes, budget: Budget, what: str) -> None:
        self.budget = budget
        self.what = what
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except _ZIP_ERRORS as exc:
            raise ExtractionError(f"{what}已损坏或被截断（ZIP 结构无法读取：{exc}），无法审查") from exc
        limits = budget.limits
        if len(infos) > limits.max_zip_entries:
            raise LimitExceeded(f"{what}含有 {len(infos)} 个部件，超过 {limits.max_zip_entries} 个的上限（疑似“压缩炸弹”），拒绝处理")
        if sum(i.file_size for i in infos) > limits.max_unzipped_bytes:
            raise LimitExceeded(f"{what}解压后超过 {limits.max_unzipped_bytes} 字节上限（疑似“压缩炸弹”），拒绝处理")
        if any(i.flag_bits & 0x1 for i in infos):
            raise ExtractionError(f"{what}的部件已加密（需要密码），无法审查；请提交未加密的文件")
        self.names = [i.filename for i in infos]
        self._names = set(self.names)

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def matching(self, pattern: str) -> list[str]:
        rx = re.compile(pattern)
        found = [n for n in self.names if rx.fullmatch(n)]
        return sorted(found, key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)])

    def read(self, name: str) -> bytes:
        self.budget.check_time()
        chunks: list[bytes] = []
        try:
            with self._zip.open(name) as f:
                while chunk := f.read(_CHUNK):
                    self.budget.add_unzipped(len(chunk))
                    chunks.append(chunk)
                    self.budget.check_time()
        except LimitExceeded:
            raise
        except _ZIP_ERRORS as exc:
            raise ExtractionError(f"{self.what}的部件“{name}”已损坏或被截断（{exc}），无法审查") from exc
        return b"".join(chunks)

    def xml(self, name: str) -> Element:
        return parse_xml(self.read(name), f"{self.what}的部件“{name}”")


def parse_xml(data: bytes, what: str) -> Element:
    """Parse XML refusing any DTD: no entity expansion (billion laughs), no external entities."""
    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ExtractionError(f"{what}含有 DTD 或实体声明（可能是 XML 实体攻击），拒绝处理") from exc
    except (ParseError, ValueError, LookupError) as exc:  # LookupError: an unknown encoding in the XML declaration
        raise ExtractionError(f"{what}不是有效的 XML（{exc}），文件可能已损坏") from exc
    return root


def relationships(pkg: Package, rels_name: str, base_dir: str) -> dict[str, str]:
    """Relationship id -> package path for one .rels part."""
    if rels_name not in pkg:
        return {}
    out: dict[str, str] = {}
    for rel in pkg.xml(rels_name):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else _join(base_dir, target)
        out[rel.get("Id", "")] = path
    return out


def _join(base_dir: str, target: str) -> str:
    parts = [p for p in base_dir.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def main_part(pkg: Package, default: str) -> str:
    for rel in relationships(pkg, "_rels/.rels", "").values():
        if rel in pkg and rel.endswith(".xml") and rel.split("/")[0] == default.split("/")[0]:
            return rel
    return default


# app.xml holds counts and the producing program as well; these are the fields a person types.
_APP_FIELDS = {"Company", "Manager", "Template", "HyperlinkBase", "TitlesOfParts"}


def properties(pkg: Package, budget: Budget) -> PartBuilder:
    """Core, app and custom document properties, each placed as `文档属性:<name>`."""
    b = PartBuilder("文档属性", budget)
    if "docProps/core.xml" in pkg:
        for el in pkg.xml("docProps/core.xml"):
            b.add(f"文档属性:{local(el.tag)}", (el.text or "").strip())
    if "docProps/app.xml" in pkg:
        for el in pkg.xml("docProps/app.xml"):
            name = local(el.tag)
            if name in _APP_FIELDS:
                b.add(f"文档属性:{name}", "\n".join(t.strip() for t in el.itertext() if t.strip()))
    if "docProps/custom.xml" in pkg:
        for prop in pkg.xml("docProps/custom.xml"):
            name = prop.get("name", "")
            value = "\n".join(t.strip() for t in prop.itertext() if t.strip())
            b.add(f"文档属性:{name}", value)
    return b


def drawing_text(root: Element) -> str:
    """Text of a chart, SmartArt or custom XML part: DrawingML paragraphs joined, other text nodes one per line."""
    lines: list[str] = []
    inside_p: set[int] = set()
    for el in root.iter():
        name = local(el.tag)
        if name == "p" and el.tag.startswith("{http://schemas.openxmlformats.org/drawingml"):
            texts = [t.text or "" for t in el.iter() if local(t.tag) == "t"]
            inside_p.update(id(t) for t in el.iter())
            lines.append("".join(texts))
        elif id(el) not in inside_p and el.text and el.text.strip():
            lines.append(el.text.strip())
    return "\n".join(line for line in lines if line.strip())


_IMAGE = re.compile(r".+\.(png|jpe?g|gif|bmp|tiff?|emf|wmf)", re.I)


def image_issue(pkg: Package, folder: str, has_text: bool) -> ExtractionIssue | None:
    """Pictures can hold text (a scanned page pasted into Word) that no scanner reads. With other text present they
    are a note; a document made only of pictures cannot be verified and needs review."""
    images = [n for n in pkg.names if n.startswith(folder) and _IMAGE.fullmatch(n)]
    if not images:
        return None
    if has_text:
        return ExtractionIssue(
            "images_not_verified", "图片", f"文档含 {len(images)} 张图片，图片中的文字无法自动核验，请人工查看", Severity.INFO
        )
    return ExtractionIssue("images_only", "图片", f"文档没有可读文字，只有 {len(images)} 张图片（可能是扫描件），其内容无法自动核验，需人工审查")

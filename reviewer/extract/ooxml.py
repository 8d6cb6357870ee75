"""What DOCX and XLSX share: a zip package read within limits, XML parsed without DTDs or entities, properties."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from reviewer.errors import ExtractionError
from reviewer.extract.limits import Budget
from reviewer.extract.model import ExtractionIssue, TextPart
from reviewer.extract.parts import PartBuilder
from reviewer.extract.workload import check_package_media
from reviewer.extract.zipread import Member, ZipReader
from reviewer.scan.model import Severity


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class Package:
    """A zip package (DOCX, XLSX, OpenDocument) read through the strict ZipReader. Every member is inflated once when
    the package is opened, also the ones no extractor reads (media, fonts): a member that is damaged or inflates past
    its declared size makes the document an error instead of being skipped."""

    def __init__(self, data: bytes, budget: Budget, what: str) -> None:
        self.budget = budget
        self.what = what
        self.zip = ZipReader(data, budget, what)
        self._by_name: dict[str, Member] = {}
        for member in self.zip.members:
            if member.info.filename in self._by_name:
                raise ExtractionError(f"{what}中有两个同名部件（文件结构异常，可能被篡改），无法审查")
            self._by_name[member.info.filename] = member
        self.zip.verify()
        self.names = [m.info.filename for m in self.zip.members]
        check_package_media(self, budget)  # declared image sizes, before anything (LibreOffice) decodes them
        self.visited: set[str] = set()  # parts an extractor read; the rest get `leftover_text`

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def matching(self, pattern: str) -> list[str]:
        rx = re.compile(pattern)
        found = [n for n in self.names if rx.fullmatch(n)]
        return sorted(found, key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)])

    def read(self, name: str) -> bytes:
        self.budget.check_time()
        member = self._by_name.get(name)
        if member is None:
            raise ExtractionError(f"{self.what}缺少一个被引用的部件，文件可能已损坏，无法审查")
        self.visited.add(name)
        return self.zip.read(member, count=False)  # counted once when the package was opened

    def xml(self, name: str) -> Element:
        data = self.read(name)
        if b"purl.oclc.org/ooxml/" in data:  # "Strict Open XML": the same vocabulary under other namespace names
            data = _STRICT.sub(rb"http://schemas.openxmlformats.org/\1/2006/\2", data)
        return parse_xml(data, f"{self.what}的一个部件")


_STRICT = re.compile(rb"http://purl\.oclc\.org/ooxml/([A-Za-z]+)/([A-Za-z]+)")


def parse_xml(data: bytes, what: str) -> Element:
    """Parse XML refusing any DTD: no entity expansion (billion laughs), no external entities."""
    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ExtractionError(f"{what}含有 DTD 或实体声明（可能是 XML 实体攻击），拒绝处理") from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ExtractionError(f"{what}不是有效的 XML（第 {line} 行第 {column} 列出错），文件可能已损坏") from exc
    except (ValueError, LookupError) as exc:  # LookupError: an unknown encoding in the XML declaration
        raise ExtractionError(f"{what}不是有效的 XML（编码声明或内容异常），文件可能已损坏") from exc
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


# Parts that hold no text a reader sees (styles, fonts, themes, relationship lists, calculation order, settings).
_NO_TEXT = re.compile(
    r"\[Content_Types\]\.xml|(.*/)?_rels/.*|.*/(styles|stylesWithEffects|fontTable|webSettings|settings|calcChain"
    r"|commentsIds|commentsExtended|commentsExtensible|volatileDependencies|connections)\.xml|.*/theme/.*|.*/printerSettings/.*"
    r"|docProps/.*|.*/media/.*|.*/fonts/.*|.*/embeddings/.*|.*/glossary/(styles|fontTable|settings|webSettings)\.xml"
)
_TAGS = re.compile(r"<[^>]*>")


def leftover_text(pkg: Package, budget: Budget) -> PartBuilder:
    """Every XML/VML part no extractor read (ActiveX controls, VML drawings, parts a producer added): its text
    nodes, and for ActiveX its property values, so that no part holding text is skipped silently."""
    b = PartBuilder("其他部件", budget)
    for name in pkg.names:
        if name in pkg.visited or _NO_TEXT.fullmatch(name) or not name.lower().endswith((".xml", ".vml")):
            continue
        data = pkg.read(name)
        budget.check_time()
        try:
            root = parse_xml(data, "")
            texts = [t.strip() for t in root.itertext() if t.strip()]
            if "/activeX/" in name:
                texts += [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("value") and v.strip()]
        except ExtractionError:  # VML is often not well-formed XML: read it as marked-up text
            raw = data.decode("utf-8", "replace")
            texts = [t.strip() for t in _TAGS.sub("\n", raw).splitlines() if t.strip()]
        b.add(f"其他部件（{name.rsplit('/', 1)[-1]}）", "\n".join(texts))
    return b


_EXTERNAL_KIND = {
    "hyperlink": "超链接地址", "attachedTemplate": "附加模板路径", "image": "链接图片路径", "oleObject": "OLE链接路径",
    "externalLinkPath": "外部工作簿路径", "xlExternalLinkPath": "外部工作簿路径", "frame": "链接文档路径",
    "subDocument": "子文档路径", "package": "链接文档路径", "audio": "链接媒体路径", "video": "链接媒体路径",
    "externalLink": "外部工作簿路径", "xlPathMissing": "外部工作簿路径",
}


def external_targets(pkg: Package, budget: Budget) -> PartBuilder:
    """Every relationship with TargetMode="External" in every .rels part: hyperlink targets, the attached template,
    linked pictures, external workbooks, OLE links and subdocuments. A path names things (`D:/工作/某项目/方案.docx`):
    it is scanned as written and percent-decoded (`file:///D:/%E5%B7%A5%E4%BD%9C/…`), located by kind and part."""
    from reviewer.extract.links import link_text

    b = PartBuilder("外部链接", budget)
    for name in pkg.names:
        if not name.endswith(".rels") or "_rels/" not in name:
            continue
        data = pkg.read(name)
        if b"External" not in data:
            continue
        source = name.rsplit("/", 1)[-1].removesuffix(".rels") or "包"
        for rel in parse_xml(data, f"{pkg.what}的关系部件"):
            if rel.get("TargetMode") != "External" or not rel.get("Target", "").strip():
                continue
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            b.add(f"{_EXTERNAL_KIND.get(kind, '外部链接地址')}（{source}）", link_text(rel.get("Target", "")))
    return b


def typed_relationships(pkg: Package, rels_name: str, base_dir: str) -> list[tuple[str, str, str]]:
    """(id, type – the last segment of the type URI, e.g. `header` –, package path) of every internal relationship."""
    if rels_name not in pkg:
        return []
    out: list[tuple[str, str, str]] = []
    for rel in pkg.xml(rels_name):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else _join(base_dir, target)
        out.append((rel.get("Id", ""), rel.get("Type", "").rsplit("/", 1)[-1], path))
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
_PICTURE_NAME = re.compile(r"(?!.*/embeddings/).+\.(jpe?g|png|tiff?|webp)", re.I)
_META_IMAGE = (b"\xff\xd8", b"\x89PNG", b"II*\x00", b"MM\x00*")


def media_metadata(pkg: Package, folder: str, budget: Budget) -> tuple[list[TextPart], list[ExtractionIssue]]:
    """EXIF/XMP text and GPS positions of the package's pictures (by content, any name), located by picture:
    `图片“image1.jpeg” · 图片元数据（EXIF:Artist）`."""
    from reviewer.extract.imagemeta import image_meta_parts

    parts: list[TextPart] = []
    issues: list[ExtractionIssue] = []
    for name in pkg.names:
        if name.endswith("/") or not (name.startswith(folder) or _PICTURE_NAME.fullmatch(name)):
            continue  # the media folder by content; elsewhere (docProps/thumbnail.jpeg …) by name
        data = pkg.read(name)
        if data.startswith(_META_IMAGE) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
            got, problems = image_meta_parts(data, f"图片“{name.rsplit('/', 1)[-1]}”", budget)
            parts.extend(got)
            issues.extend(problems)
    return parts, issues


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

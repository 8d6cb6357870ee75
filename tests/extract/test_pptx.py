"""PPTX places, each located; built from raw PresentationML."""

from __future__ import annotations

from reviewer.extract import extract
from tests.extract.helpers import locations_of, zip_of

TERM = "赤枫行动"
NS = (
    'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
T = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def _shape(text: str, descr: str = "") -> str:
    pr = f'<p:nvSpPr><p:cNvPr id="2" name="框" descr="{descr}"/></p:nvSpPr>' if descr else ""
    return f"<p:sp>{pr}<p:txBody><a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp>"


def _slide(inner: str, hidden: bool = False) -> str:
    show = ' show="0"' if hidden else ""
    return f"<p:sld {NS}{show}><p:cSld><p:spTree>{inner}</p:spTree></p:cSld></p:sld>"


def _deck(slides: list[str], extra: dict[str, str] | None = None, slide_rels: dict[int, str] | None = None) -> bytes:
    ids = "".join(f'<p:sldId id="{256 + i}" r:id="rId{i}"/>' for i in range(1, len(slides) + 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{T}slide" Target="slides/slide{i}.xml"/>' for i in range(1, len(slides) + 1))
    files = {
        "[Content_Types].xml": "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>",
        "ppt/presentation.xml": f"<p:presentation {NS}><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>",
        "ppt/_rels/presentation.xml.rels": f'<Relationships xmlns="{RELS}">{rels}</Relationships>',
        **{f"ppt/slides/slide{i}.xml": s for i, s in enumerate(slides, 1)},
        **{f"ppt/slides/_rels/slide{i}.xml.rels": f'<Relationships xmlns="{RELS}">{r}</Relationships>' for i, r in (slide_rels or {}).items()},
        **(extra or {}),
    }
    return zip_of(files)


def test_slides_notes_hidden_slides_and_picture_descriptions() -> None:
    notes_rel = f'<Relationship Id="rN" Type="{T}notesSlide" Target="../notesSlides/notesSlide1.xml"/>'
    notes = f"<p:notes {NS}><p:cSld><p:spTree>{_shape('备注' + TERM)}</p:spTree></p:cSld></p:notes>"
    data = _deck(
        [_slide(_shape("第一页")), _slide(_shape(f"隐藏{TERM}"), hidden=True), _slide(_shape("图", descr=f"图注{TERM}"))],
        {"ppt/notesSlides/notesSlide1.xml": notes},
        {1: notes_rel},
    )
    result = extract(data, "deck.pptx")
    assert result.error is None and result.kind == "pptx"
    assert sorted(locations_of(result, TERM)) == ["图片说明文字 · 幻灯片3", "幻灯片1 备注", "幻灯片2 · 隐藏幻灯片"]


def test_clean_deck_and_unknown_vocabulary() -> None:
    assert extract(_deck([_slide(_shape("普通"))]), "a.pptx").issues == []
    broken = zip_of({"ppt/presentation.xml": "<x/>"})
    assert extract(broken, "a.pptx").error

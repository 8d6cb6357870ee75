"""OFD packages (GB/T 33190) written by hand for the tests: OFD.xml → Doc_0/Document.xml → pages, templates,
annotations, attachments, custom tags, each with the namespace and structure real producers write."""

from __future__ import annotations

from tests.extract.helpers import zip_of

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def text_object(text: str, x: float = 20, y: float = 30, size: float = 5, per_char: bool = False) -> str:
    """One TextObject; `per_char`: one TextCode per character with explicit X (as some producers write)."""
    if per_char:
        codes = "".join(f'<ofd:TextCode X="{i * size}" Y="{size}">{ch}</ofd:TextCode>' for i, ch in enumerate(text))
    else:
        delta = " ".join([str(size)] * (len(text) - 1))
        codes = f'<ofd:TextCode X="0" Y="{size}" DeltaX="{delta}">{text}</ofd:TextCode>'
    return (f'<ofd:TextObject ID="9" Boundary="{x} {y} 180 {size * 2}" Font="3" Size="{size}">{codes}'
            "</ofd:TextObject>")


def content(*objects: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content><ofd:Layer ID="2">{"".join(objects)}'
            "</ofd:Layer></ofd:Content></ofd:Page>")


def ofd(pages: list[str], *, info: dict[str, str] | None = None, custom_data: dict[str, str] | None = None,
        template: str | None = None, annotation: str | None = None, attachments: dict[str, bytes] | None = None,
        custom_tag: str | None = None, extra: dict[str, bytes | str] | None = None,
        public_res: str | None = None) -> bytes:
    """`pages`: each page's Content.xml; `annotation`: the Remark of a stamp annotation on page 1 (its appearance draws
    the same text); `custom_tag`: the body of a custom tag file."""
    meta = "".join(f"<ofd:{k}>{v}</ofd:{k}>" for k, v in (info or {}).items())
    if custom_data:
        meta += "<ofd:CustomDatas>" + "".join(f'<ofd:CustomData Name="{k}">{v}</ofd:CustomData>'
                                              for k, v in custom_data.items()) + "</ofd:CustomDatas>"
    files: dict[str, bytes | str] = {
        "OFD.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.0" DocType="OFD"><ofd:DocBody>'
                    f"<ofd:DocInfo><ofd:DocID>a1</ofd:DocID>{meta}</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
                    "</ofd:DocBody></ofd:OFD>"),
    }
    page_list = "".join(f'<ofd:Page ID="{10 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
    common = '<ofd:CommonData><ofd:MaxUnitID>99</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
    if public_res is not None:  # the body of Doc_0/PublicRes.xml (fonts, images, colour spaces, draw parameters)
        common += "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
        files["Doc_0/PublicRes.xml"] = f'<ofd:Res {NS} BaseLoc="Res">{public_res}</ofd:Res>'
    if template is not None:
        common += '<ofd:TemplatePage ID="5" Name="版头" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
        files["Doc_0/Tpls/Tpl_0/Content.xml"] = template
    common += "</ofd:CommonData>"
    more = ""
    if annotation is not None:
        more += "<ofd:Annotations>Annots/Annotations.xml</ofd:Annotations>"
        files["Doc_0/Annots/Annotations.xml"] = (
            f'<ofd:Annotations {NS}><ofd:Page PageID="10"><ofd:FileLoc>Page_0/Annotation.xml</ofd:FileLoc></ofd:Page>'
            "</ofd:Annotations>")
        files["Doc_0/Annots/Page_0/Annotation.xml"] = (
            f'<ofd:PageAnnot {NS}><ofd:Annot ID="50" Type="Stamp" Creator="用印系统"><ofd:Remark>{annotation}</ofd:Remark>'
            f'<ofd:Appearance Boundary="20 200 80 40">{text_object(annotation)}</ofd:Appearance></ofd:Annot>'
            "</ofd:PageAnnot>")
    if attachments:
        more += "<ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments>"
        listing = "".join(
            f'<ofd:Attachment ID="{60 + i}" Name="{name.rsplit(".", 1)[0]}" Format="{name.rsplit(".", 1)[-1]}">'
            f"<ofd:FileLoc>{name}</ofd:FileLoc></ofd:Attachment>" for i, name in enumerate(attachments))
        files["Doc_0/Attachs/Attachments.xml"] = f"<ofd:Attachments {NS}>{listing}</ofd:Attachments>"
        files.update({f"Doc_0/Attachs/{name}": data for name, data in attachments.items()})
    if custom_tag is not None:
        more += "<ofd:CustomTags>Tags/CustomTag.xml</ofd:CustomTags>"
        files["Doc_0/Tags/CustomTag.xml"] = (
            f'<ofd:CustomTags {NS}><ofd:CustomTag NameSpace="urn:gwbz"><ofd:FileLoc>Tag_0.xml</ofd:FileLoc>'
            "</ofd:CustomTag></ofd:CustomTags>")
        files["Doc_0/Tags/Tag_0.xml"] = custom_tag
    tpl = '<ofd:Template TemplateID="5"/>' if template is not None else ""
    files["Doc_0/Document.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}>{common}'
                                   f"<ofd:Pages>{page_list}</ofd:Pages>{more}</ofd:Document>")
    for i, page in enumerate(pages):
        files[f"Doc_0/Pages/Page_{i}/Content.xml"] = page.replace("<ofd:Content>", f"{tpl}<ofd:Content>", 1)
    files.update(extra or {})
    return zip_of(files)

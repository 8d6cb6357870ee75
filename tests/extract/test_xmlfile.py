"""XML files (feeds, data exports): every text node, CDATA section, attribute value, comment and escaped HTML is
scanned, each located by its element path; entity declarations (billion laughs) and external entities are refused."""

from __future__ import annotations

import pytest

from reviewer.document import scan_document
from reviewer.extract import extract
from reviewer.scan.model import Verdict
from tests.extract.planted import CLEAN, PLANT, missing, scanner


def _feed(t: str) -> str:
    return f"""<?xml version="1.0" encoding="GBK"?>
<!-- {t} -->
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>门户网站</title>
<item><title>通知一</title></item><item><title>通知二</title></item>
<item><title>{t}</title><link>http://www.example.gov.cn/a.html</link>
<category domain="{t}">公告</category>
<description><![CDATA[<p>{t[:3]}<b>{t[3:]}</b></p>]]></description>
<content:encoded>&lt;div&gt;{t}&lt;/div&gt;</content:encoded>
<note>{t[:2]}<em>{t[2:]}</em></note><!-- {t} --></item></channel></rss>"""


PLACES = ["/rss/channel/item[3]/title", "/rss/channel/item[3]/category/@domain",
          "/rss/channel/item[3]/description（HTML正文）", "/rss/channel/item[3]/encoded（HTML正文）",
          "/rss/channel/item[3]/note", "/rss/channel/item[3]（注释）", "根元素之前"]


def test_every_place_of_a_feed_is_scanned_and_located_by_element_path() -> None:
    dirty = scan_document(scanner(), _feed(PLANT).encode("gbk"), "feed.xml")
    assert dirty.error is None and dirty.verdict is Verdict.BLOCK
    assert missing(dirty, PLACES) == {}
    clean = scan_document(scanner(), _feed(CLEAN).encode("gbk"), "feed.xml")
    assert clean.error is None and clean.verdict is Verdict.PASS, clean.findings


def test_xml_is_sniffed_by_content_and_a_data_export_reads_attributes() -> None:
    data = f'<?xml version="1.0" encoding="UTF-8"?><rows><row id="1" name="{PLANT}"/><row id="2">x</row></rows>'.encode()
    for name in ("export.xml", "export.txt", "export"):
        result = extract(data, name)
        assert result.error is None and result.kind == "xml"
    assert missing(scan_document(scanner(), data, "export"), ["/rows/row[1]/@name"]) == {}


@pytest.mark.parametrize("doc", [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.com/e.dtd"> %p;]><x>a</x>',
])
def test_entity_declarations_are_refused_with_a_chinese_error(doc: bytes) -> None:
    result = extract(doc, "bomb.xml")
    assert result.error and "实体" in result.error and not result.parts


@pytest.mark.parametrize("doc", [
    "<?xml version='1.0'?><a><b>机密★5年</a>".encode(),  # mismatched tags
    "<?xml version='1.0'?><a>北辰三号".encode(),  # truncated
    b"<?xml version='1.0' encoding='x-nonsense'?><a>1</a>",
    b"<?xml version='1.0'?><a>&undefined;</a>",
])
def test_broken_xml_is_an_error_never_a_pass(doc: bytes) -> None:
    result = scan_document(scanner(), doc, "broken.xml")
    assert result.verdict is Verdict.ERROR and result.error and not result.findings


def test_a_doctype_without_declarations_is_read() -> None:  # RSS 0.91 ships one
    data = f'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "http://x/rss.dtd"><rss><t>{PLANT}</t></rss>'
    assert missing(scan_document(scanner(), data.encode(), "old.rss"), ["/rss/t"]) == {}

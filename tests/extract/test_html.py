from __future__ import annotations

from reviewer.extract import extract
from tests.extract.helpers import locations_of


def _html(body: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def test_term_split_by_tags_stays_contiguous() -> None:
    result = extract(_html("<p>项目青鸾<b>四号</b>进展，<i>机</i><span>密</span>★10年</p>"), "a.html")
    assert locations_of(result, "青鸾四号") == ["正文"]
    assert locations_of(result, "机密★10年") == ["正文"]


def test_every_hiding_place_has_its_location() -> None:
    head = '<meta charset="utf-8"><title>标题甲</title><meta name="keywords" content="元数据乙"><style>.a{content:"样式丙"}</style>'
    body = (
        "<!-- 注释丁 --><p>可见</p><div style='DISPLAY : none'>隐藏戊</div><p hidden>隐藏己</p>"
        "<img alt='替代庚'><a title='提示辛'>链接</a><noscript>无脚本壬</noscript><script>var x='脚本癸';</script>"
        "<input type='hidden' value='隐藏值子'><template>模板丑</template>"
    )
    result = extract(_html(body, head), "page.htm")
    assert result.error is None and result.kind == "html"
    expected = {
        "标题甲": "HTML标题",
        "元数据乙": "HTML元数据:keywords",
        "样式丙": "样式 第1段",
        "注释丁": "HTML注释 第1处",
        "可见": "正文",
        "隐藏戊": "隐藏元素<div>",
        "隐藏己": "隐藏元素<p>",
        "替代庚": "HTML属性:alt（<img>）",
        "提示辛": "HTML属性:title（<a>）",
        "无脚本壬": "noscript",
        "脚本癸": "脚本 第1段",
        "隐藏值子": "HTML属性:value（<input>）",
        "模板丑": "隐藏元素<template>",
    }
    for text, where in expected.items():
        assert locations_of(result, text) == [where], text
    assert "隐藏戊" not in result.text_of("正文")


def test_entities_are_decoded_and_nested_hidden_stays_hidden() -> None:
    result = extract(_html("<div hidden><p>内&#37096;<b>资料</b></p></div><p>公开&amp;透明</p>"), "a.html")
    assert locations_of(result, "内部资料") == ["隐藏元素<div>"]
    assert "公开&透明" in result.text_of("正文")


def test_gbk_page_with_declared_charset() -> None:
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>机密★长期</body></html>'
    result = extract(page.encode("gbk"), "old.html")
    assert result.encoding == "gb18030"
    assert locations_of(result, "机密★长期") == ["正文"]


def test_html_in_a_txt_file_is_read_as_html() -> None:
    result = extract(_html("青鸾<b>四号</b>"), "page.txt")
    assert result.kind == "html"
    assert locations_of(result, "青鸾四号") == ["正文"]


def test_unclosed_script_is_still_read() -> None:
    result = extract(b"<html><body><p>x</p><script>var s='\xe7\xbb\x9d\xe5\xaf\x86';", "a.html")
    assert locations_of(result, "绝密") == ["脚本 第1段"]

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


# -- places a browser shows that are not in the markup's text ------------------------------------------------------
TERM = "赤枫行动"
CSS_ESCAPED = "".join(f"\\{ord(c):x} " for c in TERM)


def test_iframe_srcdoc_is_read_as_html() -> None:
    inner = f"&lt;p&gt;框内{TERM}&lt;/p&gt;&lt;!-- 注释{TERM} --&gt;"
    result = extract(_html(f'<iframe srcdoc="{inner}"></iframe>'), "a.html")
    assert sorted(locations_of(result, TERM)) == ["内嵌框架（srcdoc，<iframe>） · HTML注释 第1处", "内嵌框架（srcdoc，<iframe>） · 正文"]


def test_iframe_srcdoc_nesting_is_limited() -> None:
    import html as html_lib

    markup = f"<p>{TERM}</p>"
    for _ in range(6):
        markup = f'<iframe srcdoc="{html_lib.escape(markup)}"></iframe>'
    result = extract(_html(markup), "a.html")
    assert result.error and "嵌套" in result.error


def test_css_content_with_escapes_in_style_and_attribute() -> None:
    head = f'<style>.x::before {{ content: "{CSS_ESCAPED}"; }}</style>'
    body = "<p class=x>项目</p><span style='color:red; content: \"赤枫\" \"行动\"'>y</span>"
    result = extract(_html(body, head), "a.html")
    assert sorted(locations_of(result, TERM)) == ["CSS生成内容（<style> 第1段）", "CSS生成内容（style属性，<span>）"]


def test_css_attr_shows_the_named_attribute() -> None:
    head = "<style>.c::before{content:attr(data-label)} .d::after{content: attr(aria-hint)}</style>"
    body = f'<p class=c data-label="{TERM}">项目</p><p class=d aria-hint="{TERM}二">x</p>'
    result = extract(_html(body, head), "a.html")
    assert sorted(locations_of(result, TERM)) == ["HTML属性:aria-hint（<p>）", "HTML属性:data-label（<p>）"]


def test_data_uri_frame_is_read() -> None:
    import base64

    payload = base64.b64encode(f"<p>{TERM}</p>".encode()).decode()
    result = extract(_html(f'<iframe src="data:text/html;base64,{payload}"></iframe><object data="data:text/plain,%E8%B5%A4%E6%9E%AB%E8%A1%8C%E5%8A%A8"></object>'), "a.html")
    assert sorted(locations_of(result, TERM)) == ["内嵌数据（data: URI，<iframe>） · 正文", "内嵌数据（data: URI，<object>）"]


def test_clean_page_gains_no_parts() -> None:
    head = "<style>.a{color:red} .b::before{content:'•'}</style>"
    result = extract(_html("<p class=a>普通文字</p>", head), "a.html")
    assert [p.location for p in result.parts] == ["正文", "样式 第1段"]


def test_processing_instructions_are_read() -> None:
    result = extract(_html(f"<?php echo '{TERM}'; ?><p>x</p>"), "a.html")
    assert locations_of(result, TERM) == ["HTML处理指令 第1处"]


def test_text_shown_in_reverse_order_is_read_as_shown() -> None:
    body = (
        f"<p><bdo dir=rtl>{TERM[::-1]}</bdo></p>"
        f"<p style='unicode-bidi:bidi-override; direction: rtl'>{TERM[::-1]}</p>"
        "<div style='display:flex; flex-direction: row-reverse'>" + "".join(f"<span>{c}</span>" for c in TERM[::-1]) + "</div>"
    )
    result = extract(_html(body), "a.html")
    assert sorted(locations_of(result, TERM)) == ["反向显示文字<bdo>", "反向显示文字<div>", "反向显示文字<p>"]

"""A small government website for the monitor's tests, written to a directory and served on loopback.

Two chrome variants (a news section with header/nav/sidebar/footer in <div>s named by class, an 信息公开 section with
<header>/<nav>/<footer> elements, a breadcrumb and a metadata table), and pages of every kind the monitor must tell
apart: signed, edited after approval, retitled, never submitted, leaking, with signed / unsigned / broken attachments,
GBK-encoded, and written by a script. `APPROVED` is what the unit signed (what the workflow hands the monitor)."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reviewer.monitor.model import Approved

SITE = "某某市人民政府"
HOTLINE = "13800138000"  # a mobile number in the footer: chrome, so neither a finding nor unsigned content

BODY_1 = ["为进一步做好春季森林防火工作，现将有关事项通知如下。", "一、各乡镇要落实巡护责任，加强野外用火管理。",
          "二、各有关部门要加强值班值守，确保信息畅通。", "特此通知。"]
BODY_2 = ["为方便群众办事，市政务服务中心自2024年4月1日起实行延时服务。", "工作日中午不休息，周六上午正常办理业务。",
          "请广大群众合理安排办事时间。", "特此通知。"]
BODY_2_EDITED = ["为方便群众办事，市政务服务中心自2024年5月1日起实行延时服务。", "工作日中午不休息，周六上午正常办理业务。",
                 "请广大群众合理安排办事时间。", "特此通知。"]
BODY_3 = ["近日，我市组织开展了全民健身运动会，共有三十个代表队参加。", "运动会设置了田径、游泳、乒乓球等项目。", "特此通知。"]
BODY_4 = ["机密★10年", "关于边境巡逻路线调整的情况报告", "一号路线调整为夜间巡逻。", "特此通知。"]
BODY_6 = ["根据市委市政府部署，全市开展城乡环境卫生整治行动。", "各区县要组织专门力量，清理卫生死角。", "特此通知。"]
BODY_8 = ["市统计局发布一季度全市经济运行情况。", "全市地区生产总值同比增长百分之五点二。", "特此通知。"]
BODY_9 = ["现将2024年度城市更新项目公示如下。", "项目一：老旧小区改造，涉及居民一千二百户。", "特此通知。"]
BODY_JS = ["本页内容由脚本写出：全市防汛应急预案启动四级响应。", "请各单位做好防汛准备工作。", "特此通知。"]


def header_news() -> str:
    return (f'<div id="header"><div class="logo">{SITE}</div><ul class="nav">'
            '<li><a href="/index.html">首页</a></li><li><a href="/xwdt/">新闻动态</a></li>'
            '<li><a href="/xxgk/">信息公开</a></li><li><a href="https://www.gov.cn/">中国政府网</a></li></ul></div>')


def sidebar_news() -> str:
    return ('<div class="sidebar"><h3>栏目导航</h3><ul><li><a href="/xwdt/">工作动态</a></li>'
            '<li><a href="/xwdt/tzgg.html">通知公告</a></li></ul></div>')


def footer_news() -> str:
    return (f'<div class="footer"><p>主办单位：{SITE}办公室 地址：某某市人民路1号</p>'
            f'<p>值班手机：{HOTLINE} 网站标识码：4501000001</p></div>')


def news_page(title: str, body: list[str], date: str = "2024-03-01", extra: str = "") -> str:
    paras = "".join(f"<p>{p}</p>" for p in body)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - {SITE}</title>'
            '<meta name="keywords" content="通知"></head><body>'
            f'{header_news()}<div class="main">{sidebar_news()}<div class="article">'
            f'<h1 class="title">{title}</h1><div class="info">发布时间：{date} 来源：市政府办公室 【字号：大 中 小】</div>'
            f'<div class="content">{paras}{extra}</div><div class="tools">【打印本页】【关闭窗口】</div></div></div>'
            f'{footer_news()}</body></html>')


def gov_page(title: str, body: list[str], index_no: str, charset: str = "utf-8", extra: str = "") -> str:
    paras = "".join(f"<p>{p}</p>" for p in body)
    return (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f'<title>{title}_{SITE}</title></head><body>'
            f'<header class="top"><span>{SITE}门户网站</span><nav><a href="/index.html">首页</a> '
            '<a href="/xxgk/">政府信息公开</a> <a href="http://www.example.org/">友情链接</a></nav></header>'
            '<div class="crumb">当前位置：<a href="/index.html">首页</a> &gt; <a href="/xxgk/">信息公开</a></div>'
            f'<div class="wrap"><table class="xxgk-meta"><tr><td>索引号：{index_no}</td><td>发布机构：{SITE}</td></tr></table>'
            f'<div class="zw-title">{title}</div><div class="zw">{paras}{extra}</div></div>'
            f'<footer><p>版权所有：{SITE} 主办单位：{SITE}办公室</p><p>值班手机：{HOTLINE}</p></footer></body></html>')


def draft(title: str, body: list[str]) -> bytes:
    """What the CMS submitted for review: the article body as HTML."""
    return ("<html><body>" + "".join(f"<p>{p}</p>" for p in body) + "</body></html>").encode("utf-8")


def docx(paragraphs: list[str]) -> bytes:
    import docx as python_docx

    doc = python_docx.Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


SIGNED_DOCX = docx(["附件：春季森林防火责任分工表", "市林业局负责统筹协调。"])
UNSIGNED_DOCX = docx(["附件：困难群众名单", "张三 身份证号 110101199003074514"])
SCRIPT_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>防汛通知 - ' + SITE + '</title></head><body>'
    + header_news() + '<div class="main">' + sidebar_news() + '<div class="article"><h1 class="title">防汛通知</h1>'
    '<div class="content" id="c"></div></div></div>' + footer_news()
    + '<script src="/js/content.js"></script></body></html>'
)
SCRIPT_JS = ("var c=document.getElementById('c');" + "".join(
    f"var p{i}=document.createElement('p');p{i}.textContent={p!r};c.appendChild(p{i});" for i, p in enumerate(BODY_JS)))


def item(item_id: int, title: str, content: bytes, file_name: str = "content.html", urls: tuple[str, ...] = ()) -> Approved:
    return Approved(item_id=item_id, title=title, file_name=file_name, content=content,
                    content_sha256=hashlib.sha256(content).hexdigest(), urls=urls, signers=(f"审查员{item_id}",))


APPROVED = [
    item(1, "关于做好春季森林防火工作的通知", draft("", BODY_1)),
    item(2, "关于政务服务中心延时服务的通知", draft("", BODY_2), urls=("http://cms.internal/xwdt/2024/a2.html",)),
    item(5, "春季森林防火责任分工表", SIGNED_DOCX, "分工表.docx"),
    item(6, "关于开展城乡环境卫生整治行动的通知", draft("", BODY_6)),
    item(8, "一季度全市经济运行情况", draft("", BODY_8)),
    item(9, "2024年度城市更新项目公示", draft("", BODY_9)),
    item(10, "防汛通知", draft("", BODY_JS)),
    item(11, "关于边境巡逻路线调整的情况报告", draft("", BODY_4[1:])),
]


def pages(with_script: bool = False) -> dict[str, bytes]:
    home_links = ["/xwdt/2024/a1.html", "/xwdt/2024/a2.html", "/xwdt/2024/a3.html", "/xxgk/a4.html",
                  "/xxgk/a6.html", "/xwdt/2024/a8.html", "/xxgk/a9/"]
    if with_script:
        home_links.append("/js/a7.html")
    home = news_page("首页", ["欢迎访问" + SITE + "门户网站。"], extra="<ul>" + "".join(
        f'<li><a href="{u}">文章 {n}</a></li>' for n, u in enumerate(home_links)) + "</ul>")
    files: dict[str, str | bytes] = {
        "/index.html": home,
        "/xwdt/index.html": news_page("工作动态", ["工作动态栏目列表。"], extra='<a href="/xwdt/2024/a1.html">一</a>'),
        "/xwdt/tzgg.html": news_page("通知公告", ["通知公告栏目列表。"], extra='<a href="/xwdt/2024/a2.html">二</a>'),
        "/xxgk/index.html": gov_page("政府信息公开", ["信息公开目录。"], "000-00"),
        "/xwdt/2024/a1.html": news_page(APPROVED[0].title, BODY_1, extra=(
            '<p>附件：<a href="/files/fenggong.docx">春季森林防火责任分工表</a></p>')),
        "/xwdt/2024/a2.html": news_page(APPROVED[1].title, BODY_2_EDITED, "2024-03-02"),
        "/xwdt/2024/a3.html": news_page("全民健身运动会圆满落幕", BODY_3, "2024-03-03", extra=(
            '<p>附件：<a href="/files/mingdan.docx">名单</a> <a href="/files/broken.pdf">报名表</a></p>')),
        "/xxgk/a4.html": gov_page("关于边境巡逻路线调整的情况报告", BODY_4, "111-04"),
        "/xwdt/2024/a8.html": news_page("关于一季度经济形势的紧急情况通报", BODY_8, "2024-03-08"),
        "/xxgk/a9/index.html": gov_page(APPROVED[5].title, BODY_9, "111-09"),
        "/files/fenggong.docx": SIGNED_DOCX,
        "/files/mingdan.docx": UNSIGNED_DOCX,
        "/files/broken.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%broken",
    }
    out = {k: (v.encode("utf-8") if isinstance(v, str) else v) for k, v in files.items()}
    out["/xxgk/a6.html"] = gov_page(APPROVED[3].title, BODY_6, "111-06", charset="gbk").encode("gbk")
    if with_script:
        out["/js/a7.html"] = SCRIPT_PAGE.encode("utf-8")
        out["/js/content.js"] = SCRIPT_JS.encode("utf-8")
    return out


# What each page must come out as (status, item id)
EXPECTED = {
    "/": ("unsigned", None), "/xwdt/": ("unsigned", None), "/xwdt/tzgg.html": ("unsigned", None),
    "/xxgk/": ("unsigned", None),
    "/xwdt/2024/a1.html": ("signed", 1), "/files/fenggong.docx": ("signed", 5),
    "/xwdt/2024/a2.html": ("changed", 2), "/xwdt/2024/a3.html": ("unsigned", None),
    "/files/mingdan.docx": ("unsigned", None), "/files/broken.pdf": ("unreadable", None),
    "/xxgk/a4.html": ("changed", 11), "/xxgk/a6.html": ("signed", 6), "/xwdt/2024/a8.html": ("changed", 8),
    "/xxgk/a9/": ("signed", 9),
}


def write(root: Path, files: dict[str, bytes]) -> Path:
    for path, data in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


@dataclass
class Server:
    root: Path
    port: int = 0
    log: list[tuple[str, str, float]] = field(default_factory=list)  # (method, path, time)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # path -> extra/overriding headers
    delays: dict[str, float] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    endless: set[str] = field(default_factory=set)  # paths that stream without end
    active: int = 0  # requests being answered now, and the most at once
    max_active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve(root: Path, **kwargs: object) -> Iterator[Server]:
    server = Server(root, **kwargs)  # type: ignore[arg-type]

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def _any(self) -> None:
            server.log.append((self.command, self.path, time.monotonic()))
            self.send_response(405)
            self.end_headers()

        do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _any  # noqa: N815

        def do_GET(self) -> None:  # noqa: N802
            with server.lock:
                server.active += 1
                server.max_active = max(server.max_active, server.active)
            try:
                self._get()
            except OSError:
                pass  # the client went away (a size or time limit): that is what some tests do
            finally:
                with server.lock:
                    server.active -= 1

        def _get(self) -> None:
            server.log.append(("GET", self.path, time.monotonic()))
            path = self.path.split("?")[0]
            if path in server.delays:
                time.sleep(server.delays[path])
            if path in server.redirects:
                self.send_response(302)
                self.send_header("Location", server.redirects[path])
                self.end_headers()
                return
            if path in server.endless:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                try:
                    for _ in range(100000):
                        self.wfile.write(b"<p>" + "很长的页面".encode() * 200 + b"</p>")
                except OSError:
                    pass
                return
            target = server.root / path.lstrip("/")
            if path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html><body>404</body></html>")
                return
            data = target.read_bytes()
            self.send_response(200)
            kind = "text/html" if target.suffix in (".html", ".htm") else (
                "application/javascript" if target.suffix == ".js" else
                "text/plain" if target.suffix == ".txt" else "application/octet-stream")
            extra = dict(server.headers.get(path, {}))
            self.send_header("Content-Type", extra.pop("Content-Type", kind))
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()

"""Pages whose text a script writes are read in headless Chromium (sandboxed: GET to the site only), not missed."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.monitor.fetch import Politeness
from reviewer.monitor.model import Status
from reviewer.monitor.run import Options, monitor
from reviewer.render import engines
from reviewer.scan.model import Verdict
from reviewer.scan.scanner import Scanner
from tests.monitor import site

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(bool(engines.missing()), reason="本机缺少 Chromium 或 playwright")]

LEAK_JS = ("document.getElementById('c').innerHTML='<p>机密★10年</p><p>关于边境巡逻路线调整的情况报告</p>';"
           "fetch('/api/save',{method:'POST',body:'x'}).catch(function(){});"
           "fetch('http://203.0.113.9/beacon').catch(function(){});")


def test_script_written_pages_are_rendered_matched_and_scanned(tmp_path: Path) -> None:
    files = site.pages(with_script=True)
    files["/js/leak.html"] = files["/js/a7.html"].replace(b"/js/content.js", b"/js/leak.js").replace(b"<h1", b"<h2")
    files["/js/leak.js"] = LEAK_JS.encode("utf-8")
    files["/js/nodata.html"] = files["/js/a7.html"].replace(b"/js/content.js", b"/js/nodata.js")
    files["/js/nodata.js"] = (b"fetch('/data/missing.json').then(function(r){return r.json()})"
                              b".then(function(d){document.getElementById('c').textContent=d.text}).catch(function(){});")
    files["/index.html"] = files["/index.html"].replace(
        b"</ul>", b'<li><a href="/js/leak.html">x</a></li><li><a href="/js/nodata.html">y</a></li></ul>')
    root = site.write(tmp_path, files)
    with site.serve(root) as srv:
        rep = monitor([srv.base + "/"], site.APPROVED, Scanner.load(),
                      options=Options(politeness=Politeness(interval=0.0)))
        methods = {m for m, _p, _t in srv.log}
        asked = [p for _m, p, _t in srv.log]
    written = next(r for r in rep.resources if r.url.endswith("/js/a7.html"))
    assert (written.status, written.item_id, written.rendered) == (Status.SIGNED, 10, True)
    leak = next(r for r in rep.resources if r.url.endswith("/js/leak.html"))
    assert leak.rendered and leak.verdict is Verdict.BLOCK and leak.status is not Status.SIGNED
    assert methods == {"GET"} and "/api/save" not in asked
    # the data a script needs is missing on the site: what it would write is unknown, so the page is unreadable
    nodata = next(r for r in rep.resources if r.url.endswith("/js/nodata.html"))
    assert nodata.status is Status.UNREADABLE and "未能取得" in nodata.reason

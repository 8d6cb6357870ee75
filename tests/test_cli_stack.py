"""`reviewer stack` checks its port is free and that the API answering there is the one it started (before: it started
anyway and submitted the samples, with the demo tokens, to whatever server answered on the port)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from reviewer.cli import main
from reviewer.cli.stack import _own_api, port_is_free


def test_a_taken_port_is_refused_before_anything_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REVIEWER_DATA_DIR", str(tmp_path / "data"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not port_is_free(port)
        assert main(["stack", "--port", str(port), "--no-wait"]) == 2
    err = capsys.readouterr().err
    assert f"端口 {port} 已被占用" in err and not (tmp_path / "data").exists()  # nothing was started or written


class _Foreign(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"status": "ok", "instance": "someone-else"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_api_that_is_not_ours_is_refused() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Foreign)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(SystemExit, match="不是本次启动的服务"):
            _own_api(base, "my-instance", ours)
        ours.kill()
        ours.wait()
        with pytest.raises(SystemExit, match="API 进程已退出"):
            _own_api(base, "my-instance", ours)
    finally:
        ours.kill()
        server.shutdown()

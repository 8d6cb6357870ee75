"""`reviewer serve --host H --port P`: the HTTP API (and the pages, when installed) under uvicorn."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="启动 HTTP 服务（API 与页面）")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认仅本机 127.0.0.1）")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="uvicorn 进程数")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("reviewer.api.app:create_app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="info", access_log=False)
    return 0

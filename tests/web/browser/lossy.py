"""A reverse proxy on loopback that loses answers: the server has committed, the browser never hears of it.

Every request is passed on to the server; for the chosen ones (POSTs under /api/, with a seeded probability) the
server's answer is read and then thrown away, and the browser's connection is closed without a reply.
"""

from __future__ import annotations

import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2 as httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


class LossyProxy:
    """`url` forwards to `target`; `dropped` counts the answers lost after the server gave them."""

    def __init__(self, target: str, port: int, *, loss: float, seed: int = 21) -> None:
        self.target = target
        self.loss = loss
        self.dropped = 0
        self.passed = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=target, timeout=60)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
                answer = proxy._client.request(self.command, self.path, headers=headers, content=body)
                if proxy.lose(self.command, self.path):
                    # The server has answered (and committed); the browser is told nothing.
                    self.close_connection = True
                    return
                self.send_response(answer.status_code)
                for key, value in answer.headers.multi_items():
                    if key.lower() not in HOP_BY_HOP | {"content-encoding", "date", "server"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815 - http.server's names

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def lose(self, method: str, path: str) -> bool:
        if method != "POST" or not path.startswith("/api/"):
            return False
        with self._lock:
            lost = self._random.random() < self.loss
            if lost:
                self.dropped += 1
            else:
                self.passed += 1
            return lost

    def __enter__(self) -> LossyProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

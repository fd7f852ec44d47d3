"""Serving one page on the loopback interface (`cardgen preview --serve`): standard library only.

The page is held in memory and served at `/` to this machine alone (127.0.0.1); any other path
is a 404. Nothing is written to disk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"


def serve_page(page: bytes, port: int, ready: Callable[[str], None]) -> None:
    """Serve `page` at http://127.0.0.1:PORT/ (port 0: a free one) until interrupted;
    `ready(url)` is called once the server listens. Raises OSError when the port is taken."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            if self.path.split("?", 1)[0] not in ("/", "/index.html"):
                self.send_error(404, "only / is served")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # quiet: the command prints its own line

    with ThreadingHTTPServer((HOST, port), Handler) as server:
        ready(f"http://{HOST}:{server.server_address[1]}/")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()

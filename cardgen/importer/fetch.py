"""Fetching a study page by URL for `cardgen import https://…` (standard library only).

One GET with a timeout (connect and each read), a size limit read as the body arrives (not
trusted from `Content-Length` alone), and HTML only (`text/html`, `application/xhtml+xml`).
Every failure is one located `I017` error that says what happened: connection refused, a name
that does not resolve, a timeout, an HTTP status (404 …), not HTML, too large.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from email.message import Message

from cardgen.diagnostics import Diagnostic, diag
from cardgen.importer.page import MAX_PAGE_BYTES
from cardgen.model import Loc

TIMEOUT_S = 15.0
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHUNK = 64 * 1024


def is_url(s: str) -> bool:
    return s.startswith(("http://", "https://"))


def fetch(
    url: str, timeout: float = TIMEOUT_S, max_bytes: int = MAX_PAGE_BYTES
) -> tuple[bytes | None, list[Diagnostic]]:
    """The HTML bytes at `url`, or None and an `I017` error saying why not."""

    def fail(why: str) -> tuple[bytes | None, list[Diagnostic]]:
        return None, [diag(Loc(url, 1, 1), "I017", why)]

    request = urllib.request.Request(
        url, headers={"User-Agent": "cardgen-import", "Accept": "text/html"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            kind = _content_type(response.headers)
            if kind not in _HTML_TYPES:
                return fail(f"not an HTML page (Content-Type: {kind or 'none'})")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                return fail(f"page too large ({int(length):,} bytes; the limit is {max_bytes:,})")
            body = bytearray()
            while chunk := response.read(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    return fail(f"page too large (over {max_bytes:,} bytes)")
            return bytes(body), []
    except urllib.error.HTTPError as exc:
        return fail(f"the server answered HTTP {exc.code} ({exc.reason})")
    except urllib.error.URLError as exc:
        return fail(_why(exc.reason))
    except TimeoutError:
        return fail(f"timed out after {timeout:g} s")
    except (OSError, ValueError) as exc:
        return fail(f"cannot fetch the page: {exc}")


def _content_type(headers: Message) -> str:
    return (headers.get_content_type() or "").lower() if headers.get("Content-Type") else ""


def _why(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the address right, is the server up?)"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "timed out while connecting"
    if isinstance(reason, socket.gaierror):
        return "the host name does not resolve (no network, or a typo in the address)"
    return f"cannot connect: {reason}"

"""`cardgen import page.html` and `cardgen import https://…` (the `cardgen[html]` extra).

Saved pages in tests/fixtures/import-html/ hold decoys (a sidebar calendar table, an infobox,
an `info` callout, bylines, share bars, related posts) and must give every row exactly. URLs
are fetched from a local HTTP server on 127.0.0.1 only; "no network" is a closed local port.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardgen.cli import cli
from cardgen.importer import html_page, import_page, on_html_lines
from cardgen.importer.fetch import fetch
from cardgen.source import document_json, parse_text

pytest.importorskip("lxml")
pytest.importorskip("readability")

PAGES = Path(__file__).parent / "fixtures" / "import-html"
HTML = sorted(PAGES.glob("*.html"))


def imported(path: Path) -> tuple[dict, list]:
    text, lines, diags = html_page(path.read_text(encoding="utf-8"), path.name)
    assert text is not None and not diags
    markdown, diags = import_page(text, path.name)
    doc, pdiags = parse_text(markdown, "x.md")
    assert not [d for d in pdiags if d.is_error]
    return document_json(doc), on_html_lines(diags, lines)


@pytest.mark.parametrize("page", HTML, ids=[p.stem for p in HTML])
def test_every_row_of_a_saved_page_is_right(page: Path):
    want = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    got, diags = imported(page)
    comp = got["comparisons"]
    assert len(comp) == 1  # the calendar and the infobox are no comparison
    subjects = [{"name": s["name"], "tagline": s["tagline"]} for s in comp[0]["subjects"]]
    assert subjects == want["subjects"]
    rows = [
        {"attribute": r["attribute"], "tip": r["tip"], "values": r["values"]}
        for r in comp[0]["rows"]
    ]
    assert rows == want["rows"]
    assert got["title"] == want["title"]
    assert got["description"] == want["description"]
    assert got["source"] == want["source"]
    for chrome in want["chrome"]:
        assert chrome not in got["title"] + got["description"], chrome
    assert len(got["scenarios"]) == want["scenarios"]
    assert [t["title"] for t in got["traps"]] == want["traps"]
    assert all("**" in t["text"] for t in got["traps"])  # every trap makes a card
    assert not [d for d in diags if d.code in ("I002", "I003", "I004", "I005")]


def test_diagnostics_name_the_lines_of_the_html():
    page = PAGES / "thyroid.html"
    _, diags = imported(page)
    html_lines = page.read_text(encoding="utf-8").splitlines()
    proposed = [d for d in diags if d.code == "I015"]
    assert proposed
    for d in proposed:
        assert "admonition danger" in html_lines[d.loc.line - 1]


# --------------------------------------------------------------------------------------------
# URLs, against a local server


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/page.html":
            self._send(200, "text/html; charset=utf-8", (PAGES / "sqs-sns.html").read_bytes())
        elif self.path == "/notes.txt":
            self._send(200, "text/plain", b"just text")
        elif self.path == "/slow.html":
            time.sleep(2)
            self._send(200, "text/html", b"<html></html>")
        elif self.path == "/huge.html":
            self._send(200, "text/html", b"<html>" + b"x" * (5 * 1024 * 1024))
        else:
            self._send(404, "text/html", b"<html>not here</html>")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def test_import_from_a_url_reads_the_page(server: str):
    result = CliRunner().invoke(cli, ["import", f"{server}/page.html", "-o", "-"])
    assert result.exit_code == 0, result.output
    assert "| Delivery model | Pull (consumers poll) | Push to subscribers |" in result.stdout
    assert "calendar" not in result.stdout.lower()


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/missing.html", "I017 error: the server answered HTTP 404 (Not Found)"),
        ("/notes.txt", "I017 error: not an HTML page (Content-Type: text/plain)"),
        ("/huge.html", "I017 error: page too large (over 4,194,304 bytes)"),
    ],
)
def test_a_url_that_cannot_be_imported_says_why(server: str, path: str, why: str):
    result = CliRunner().invoke(cli, ["import", f"{server}{path}", "-o", "-"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"{server}{path}:1:1: {why}"


def test_connection_refused_and_timeout_are_named(server: str):
    url = f"http://127.0.0.1:{_closed_port()}/page.html"
    result = CliRunner().invoke(cli, ["import", url])
    assert result.exit_code == 1
    assert result.output.startswith(f"{url}:1:1: I017 error: connection refused")
    data, diags = fetch(f"{server}/slow.html", timeout=0.5)
    assert data is None and "timed out" in diags[0].message


def test_a_saved_page_is_imported_from_its_file(tmp_path: Path):
    out = tmp_path / "sources" / "thyroid.md"
    result = CliRunner().invoke(cli, ["import", str(PAGES / "thyroid.html"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 rows (3 with tips), 2 traps, 2 scenarios" in result.output
    check = CliRunner().invoke(cli, ["check", str(out.parent)])
    assert check.exit_code == 0, check.output


def test_without_the_html_extra_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setitem(sys.modules, "readability", None)  # importing it now fails
    result = CliRunner().invoke(cli, ["import", str(PAGES / "thyroid.html"), "-o", "-"])
    assert result.exit_code == 1
    assert "I018 error: reading HTML needs the html extra: pip install 'cardgen[html]'" in (
        result.output
    )

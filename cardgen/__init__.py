"""cardgen: Markdown study notes -> Anki decks and printable PDFs."""

from __future__ import annotations

__version__ = "0.1.0"

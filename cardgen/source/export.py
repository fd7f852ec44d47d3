"""`Document` -> the JSON of `cardgen show --json` (a contract: keys may be added, never renamed;
documented in docs/source-format.md#json)."""

from __future__ import annotations

from typing import Any

from cardgen.model import Document


def document_json(doc: Document) -> dict[str, Any]:
    """The `cardgen show --json` contract (keys may be added, never renamed)."""
    return {
        "path": doc.path,
        "id": doc.id,
        "title": doc.title,
        "deck": doc.deck,
        "tags": list(doc.tags),
        "source": doc.source,
        "description": doc.description,
        "comparisons": [
            {
                "line": c.loc.line,
                "id": c.id,
                "attribute_header": c.attribute_header,
                "subjects": [
                    {"name": s.name, "tagline": s.tagline, "id": s.id} for s in c.subjects
                ],
                "rows": [
                    {
                        "line": r.loc.line,
                        "id": r.id,
                        "attribute": r.attribute,
                        "tip": r.tip,
                        "values": list(r.values),
                    }
                    for r in c.rows
                ],
            }
            for c in doc.comparisons
        ],
        "traps": [
            {"line": t.loc.line, "title": t.title, "text": t.text, "clozes": list(t.clozes)}
            for t in doc.traps
        ],
        "scenarios": [
            {"line": s.loc.line, "prompt": s.prompt, "answer": s.answer, "subject": s.subject}
            for s in doc.scenarios
        ],
        "notes": [{"line": n.loc.line, "title": n.title, "text": n.text} for n in doc.notes],
        "images": [{"line": im.loc.line, "ref": im.ref} for im in doc.images],
    }

"""Output writers: `apkg` (genanki lives there only) and `pdf` (typst lives there only).

Writers take a `Document` and its `Card`s and return bytes plus diagnostics; they never touch the
file system themselves (`cardgen.build` writes files atomically).
"""

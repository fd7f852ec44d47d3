"""Image references in a source's inline text -> `Image`s to pack, or P120 when one cannot be.

Only local files inside the source's folder are packed: URLs, absolute paths, empty paths and
paths that lead outside the folder or to nothing are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote

from markdown_it.token import Token

from cardgen.diagnostics import diag
from cardgen.model import Image
from cardgen.source.state import ParseState
from cardgen.text import quote


def collect_images(st: ParseState, inline: Token, m: Sequence[int] | None) -> None:
    """Check each image of an inline token (on the line of map `m`) and record it in `st`."""
    for child in inline.children or ():
        if child.type != "image":
            continue
        ref = unquote(str(child.attrs.get("src", "")))
        loc = st.loc(m)
        shown = quote(ref)
        if not ref.strip():
            st.diags.append(diag(loc, "P120", "image has an empty path"))
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", ref, re.I) and not re.match(r"^[A-Za-z]:[\\/]", ref):
            st.diags.append(diag(loc, "P120", f"image {shown}: only local image files are packed"))
            continue
        if ref.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", ref):
            st.diags.append(diag(loc, "P120", f"image {shown}: absolute paths are not allowed"))
            continue
        if "\x00" in ref:
            st.diags.append(diag(loc, "P120", f"image {shown}: not a valid path"))
            continue
        if st.base_dir is None:
            st.images.append(Image(ref, ref, loc))
            continue
        try:
            base = st.base_dir.resolve()
            target = (base / ref).resolve()
            is_file = base in target.parents and target.is_file()
        except (OSError, RuntimeError, ValueError):
            st.diags.append(diag(loc, "P120", f"image {shown}: not a valid path"))
            continue
        if base not in target.parents:
            st.diags.append(diag(loc, "P120", f"image {shown} lies outside the source's folder"))
        elif not is_file:
            st.diags.append(diag(loc, "P120", f"image {shown} not found"))
        else:
            st.images.append(Image(ref, str(target), loc))

"""The briefing's own font: a subset of Noto Sans CJK SC holding just the page's characters.

The page draws every piece of text, its own and the charts', in one family
(``FAMILY``), embedded as a base64 OpenType (CFF) font in an ``@font-face`` rule, so
it looks the same on a machine with no Chinese font and needs no network. The glyphs
come from the Noto Sans CJK collection that PyPI's ``noto-cjk-sans-otc`` ships (the
same font the charts' PNG/SVG use); fontTools cuts the Simplified Chinese face down
to the characters given. Noto Sans CJK also carries Latin letters, digits and the
punctuation a page needs, so one face covers an English page too.

A subset of ~600 characters is ~100 KB of OTF (before base64) and takes ~2-3 s.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

#: The CSS family name of the embedded subset; the page and every chart use it.
FAMILY = "ZonesimNotoSansSC"
#: Characters Vega may draw that are in no string of a spec: number formats
#: (d3-format's minus sign U+2212, SI prefixes such as µ), label truncation (…),
#: and the printable ASCII a format, an axis or a tooltip can produce.
ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F)) + "\u2212\u2026\u00b5\u00a0\u00d7\u00b7"


class FontError(RuntimeError):
    """The CJK font cannot be found or cut down (noto-cjk-sans-otc or fontTools missing)."""


def font_collection_path() -> Path:
    """The Noto Sans CJK collection that ``noto-cjk-sans-otc`` installs (the charts' source).

    Raises FontError (saying what to install) when the package or its file is missing.
    """
    from sim.outputs.charts.fonts import source_font

    path = source_font()
    if path is None:
        raise FontError(
            "the briefing embeds a subset of Noto Sans CJK, but the package noto-cjk-sans-otc "
            "is not installed or lacks its font file: pip install noto-cjk-sans-otc"
        )
    return path


def page_chars(texts: Iterable[str]) -> str:
    """The sorted set of characters a page shows: those in ``texts`` plus ``ALWAYS``.

    Control characters (newline, tab, ...) are dropped: they are never drawn.
    """
    chars: set[str] = set(ALWAYS)
    for text in texts:
        chars.update(text)
    return "".join(sorted(c for c in chars if c.isprintable() or c == "\u00a0"))


def _face_index(path: Path) -> int:
    """The index in the collection of the face the charts use (``FACE_NAME``)."""
    from fontTools.ttLib import TTCollection

    from sim.outputs.charts.fonts import FACE_NAME

    collection = TTCollection(str(path), lazy=True)
    for i, face in enumerate(collection.fonts):
        if face["name"].getDebugName(1) == FACE_NAME:
            return i
    raise FontError(f"{path} holds no face named {FACE_NAME!r}")


def subset_font(chars: str) -> bytes:
    """Noto Sans CJK SC cut down to ``chars``, as OpenType (CFF) bytes.

    Raises FontError when fontTools or the font is missing. Characters the font lacks
    are left out (``missing_chars`` tells which).
    """
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont
    except ImportError:
        raise FontError(
            "the briefing's font subset needs fontTools: pip install 'fonttools>=4.40'"
        ) from None
    path = font_collection_path()
    # recalcTimestamp off: the same characters give the same bytes (a deterministic page)
    font = TTFont(str(path), fontNumber=_face_index(path), lazy=False, recalcTimestamp=False)
    options = subset.Options()
    # kerning only: the other features (vertical and locale forms, alternates) pull in
    # glyphs of characters the page lacks and treble the size and the time (6 s → 3 s)
    options.layout_features = ["kern"]
    options.name_IDs = ["*"]  # the licence and copyright notices travel with the glyphs
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # CFF hints add size; browsers draw CJK well without them
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    data = out.getvalue()
    logger.debug("font subset: %d characters, %d bytes", len(chars), len(data))
    return data


def font_cmap(data: bytes) -> set[str]:
    """The characters a font's cmap maps (``data``: OpenType/TrueType bytes)."""
    from fontTools.ttLib import TTFont

    return {chr(code) for code in TTFont(io.BytesIO(data)).getBestCmap()}


def missing_chars(chars: str, data: bytes) -> str:
    """The characters of ``chars`` that the font ``data`` has no glyph for."""
    cmap = font_cmap(data)
    return "".join(c for c in chars if c not in cmap)


def font_face_css(data: bytes) -> str:
    """The ``@font-face`` rule that embeds ``data`` as ``FAMILY`` (a base64 data URL)."""
    encoded = base64.b64encode(data).decode("ascii")
    return (
        "@font-face {\n"
        f"  font-family: '{FAMILY}';\n"
        f"  src: url(data:font/otf;base64,{encoded}) format('opentype');\n"
        "  font-weight: 400;\n"
        "  font-style: normal;\n"
        "  font-display: block;\n"
        "}\n"
    )

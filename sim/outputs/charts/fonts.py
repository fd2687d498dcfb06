"""The CJK font vl-convert draws PNG and SVG text with: a cached subset of Noto Sans CJK SC.

vl-convert reads a registered font file each time it measures or draws a piece of text,
so the 19 MB Noto Sans CJK collection (ten faces, 65,535 glyphs each) makes every chart
two to four times slower to render than a small font. The charts therefore register a
*subset* of its Simplified Chinese face (family name kept: "Noto Sans CJK SC") holding
printable ASCII, Latin-1, the common punctuation, every Chinese chart label, the shipped
data's sector, zone and city names, and whatever else a chart about to be rendered
contains. The subset is cut once with fontTools and cached on disk (``cache_dir()``),
keyed by its characters and the font file; later processes just register it.

Registration is per process and cumulative: a chart with characters outside the
registered subsets gets a further subset holding them (still "Noto Sans CJK SC").
``missing_glyphs(text)`` says which characters no registered font file covers.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import vl_convert as vlc

logger = logging.getLogger(__name__)

#: A CJK ideograph or CJK punctuation: a spec with one needs the CJK font.
CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: Bump when the subset's options change, so cached subsets are cut again.
SUBSET_VERSION = "2"
#: The face of the collection the charts use (index in NotoSansCJK-Regular.ttc).
FACE_NAME = "Noto Sans CJK SC"
SUBSET_FILE = "NotoSansCJKsc-zonesim-subset.otf"

_lock = threading.RLock()
_registered: list[tuple[Path, frozenset[str]]] = []
_full_registered: Path | None = None
_tried_package = False
_font_file: Path | None = None


def cache_dir() -> Path:
    """Where zonesim caches derived files (font subsets, the Vega bundle).

    $ZONESIM_CACHE_DIR, else $XDG_CACHE_HOME/zonesim, else ~/.cache/zonesim.
    """
    env = os.environ.get("ZONESIM_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "zonesim"


def source_font() -> Path | None:
    """The Noto Sans CJK collection of the noto-cjk-sans-otc package, or None if absent."""
    global _tried_package, _font_file
    with _lock:
        if _tried_package:
            return _font_file
        _tried_package = True
        try:
            import noto_cjk_sans_otc  # the font ships as package data
        except ImportError:
            logger.warning(
                "noto-cjk-sans-otc is not installed: Chinese text cannot be drawn in PNG/SVG "
                "(install: pip install noto-cjk-sans-otc)"
            )
            return None
        path = Path(str(noto_cjk_sans_otc.FONT_PATH))
        if not path.is_file():
            logger.warning("Noto Sans CJK font file missing at %s", path)
            return None
        _font_file = path
        return path


@functools.cache
def base_characters() -> frozenset[str]:
    """Characters every subset holds: ASCII, Latin-1, punctuation, labels and data names."""
    chars: set[str] = {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0xA0, 0x100)}
    chars |= {chr(c) for c in range(0x2010, 0x2027)}  # dashes, quotes, bullet, ellipsis
    chars |= set("→←↑↓×−≤≥±‰℃·％")
    chars |= {chr(c) for c in range(0x3000, 0x3020)}  # CJK punctuation
    chars |= {chr(c) for c in range(0xFF01, 0xFF5F)}  # full-width forms
    chars |= set("0123456789年月日亿万元吨亩")
    from sim.outputs.charts import labels

    for key in list(labels._LABELS):
        chars |= set(labels.label(key, "zh"))
    for _, zh in labels.KPI_NAMES.values():
        chars |= set(zh)
    for unit in labels._UNITS:
        chars |= set(labels.unit_label(unit, "zh")[0])
    with contextlib.suppress(OSError, ValueError):
        for kind in ("sector", "zone", "city"):
            for name in labels.names(kind, "zh").values():
                chars |= set(name)
    return frozenset(c for c in chars if c.isprintable())


def _subset_path(chars: frozenset[str], font: Path) -> Path:
    import fontTools

    stat = font.stat()
    key = hashlib.sha256(
        "\n".join(
            [
                SUBSET_VERSION,
                fontTools.version,
                font.name,
                str(stat.st_size),
                "".join(sorted(chars)),
            ]
        ).encode("utf-8")
    ).hexdigest()[:20]
    return cache_dir() / "fonts" / key / SUBSET_FILE


def _cut_subset(chars: frozenset[str], font: Path, out: Path) -> None:
    """Write the subset of FACE_NAME holding ``chars`` to ``out`` (atomically)."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(font), lazy=True)
    faces = [f for f in collection.fonts if f["name"].getDebugName(1) == FACE_NAME]
    if not faces:
        raise RuntimeError(f"{font} has no face named {FACE_NAME}")
    face = faces[0]
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the family name: charts ask for "Noto Sans CJK SC"
    options.name_languages = ["*"]
    options.notdef_outline = True
    # No OpenType layout (kerning, vertical forms) and no vertical metrics: charts set
    # horizontal text glyph by glyph; leaving them out halves the time to cut the subset.
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    options.glyph_names = False
    options.hinting = False
    options.desubroutinize = True  # plain charstrings: faster to draw
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(face)
    buffer = io.BytesIO()
    face.save(buffer, reorderTables=True)
    write_atomic(out, buffer.getvalue(), make_parent=True)


def write_atomic(path: Path, data: bytes, make_parent: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    if make_parent:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _register_full(font: Path) -> Path:
    global _full_registered
    if _full_registered is None:
        vlc.register_font_directory(str(font.parent))
        _full_registered = font.parent
        logger.debug("registered the whole CJK font folder %s", font.parent)
    return font.parent


def ensure_font(text: Iterable[str] | str = "") -> Path | None:
    """Register with vl-convert a Noto Sans CJK SC subset covering ``text``; its folder.

    The subset holds ``base_characters()`` and the characters of ``text``; it is cut
    (about a second) unless cached. Without the font package: None (a warning is
    logged). Without fontTools, or if the cache folder cannot be written: the whole
    collection is registered instead (correct, slower).
    """
    font = source_font()
    if font is None:
        return None
    wanted = set("".join(text)) if not isinstance(text, str) else set(text)
    wanted = {c for c in wanted if c.isprintable()}
    with _lock:
        covered = frozenset().union(*(chars for _, chars in _registered))
        if _registered and wanted <= covered:
            return _registered[-1][0].parent
        if _full_registered is not None and not _registered:
            return _full_registered
        chars = base_characters() | frozenset(wanted)
        try:
            path = _subset_path(chars, font)
            if not path.is_file():
                _cut_subset(chars, font, path)
        except (ImportError, OSError, RuntimeError) as exc:
            logger.warning("CJK font subset unavailable (%s): using the whole font", exc)
            return _register_full(font)
        vlc.register_font_directory(str(path.parent))
        _registered.append((path, chars))
        logger.debug("registered CJK font subset %s (%d characters)", path, len(chars))
        return path.parent


def registered_fonts() -> list[Path]:
    """The CJK font files registered with vl-convert in this process, in order."""
    with _lock:
        files = [p for p, _ in _registered]
        if _full_registered is not None and _font_file is not None:
            files.append(_font_file)
        return files


@functools.lru_cache(maxsize=16)
def _cmap(path: str, mtime_ns: int) -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    del mtime_ns  # cache key only
    if path.endswith(".ttc"):
        fonts = TTCollection(path, lazy=True).fonts
        faces = [f for f in fonts if f["name"].getDebugName(1) == FACE_NAME] or fonts[:1]
        return frozenset(faces[0].getBestCmap())
    return frozenset(TTFont(path, lazy=True).getBestCmap())


def missing_glyphs(text: str, fonts: Iterable[Path] | None = None) -> set[str]:
    """Characters of ``text`` (spaces aside) that no font file in ``fonts`` has a glyph for.

    ``fonts`` defaults to ``registered_fonts()``: what vl-convert draws the CJK font
    stack with in this process.
    """
    files = list(fonts) if fonts is not None else registered_fonts()
    have: set[int] = set()
    for f in files:
        have |= _cmap(str(f), f.stat().st_mtime_ns)
    return {c for c in set(text) if not c.isspace() and ord(c) not in have}

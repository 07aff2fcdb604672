"""Noto Sans SC for PDFs, embedded so that a printout looks the same on every machine.

ReportLab's built-in STSong-Light is not embedded (a reader without a CJK font shows
boxes), and its TTFont accepts only TrueType outlines, which rules out the CFF .otf Noto
Sans CJK. The justmytype-intl-cjk package on PyPI ships Google Fonts' variable
NotoSansSC[wght].ttf (TrueType outlines, SIL OFL); its default instance is Thin, so static
Regular (wght=400) and Bold (700) instances are made from it once, about 11 s and 10 MB
each, into a cache outside the repository, with the licence beside them. ReportLab embeds
only the glyphs a document uses.

`python -m gaokao.documents.fonts` builds the cache (bin/_venv.sh runs it at setup).
"""

import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

PACKAGE = "justmytype-intl-cjk"
VARIABLE_FONT = "NotoSansSC[wght].ttf"
LICENCE = "OFL.txt"

REGULAR = "NotoSansSC"
BOLD = "NotoSansSC-Bold"
FILES = {REGULAR: "NotoSansSC-Regular.ttf", BOLD: "NotoSansSC-Bold.ttf"}
WEIGHTS = {REGULAR: 400, BOLD: 700}
MISSING = "〓"

_lock = threading.Lock()
_registered = False


class FontsUnavailable(RuntimeError):
    """The variable font is not where justmytype-intl-cjk is expected to put it."""


def variable_font() -> Path:
    """The variable NotoSansSC[wght].ttf inside the installed justmytype_intl_cjk package."""
    # The package itself hands out its font directory this way (get_font_pack()).
    path = Path(str(files("justmytype_intl_cjk") / "fonts" / "ofl" / "notosanssc" / VARIABLE_FONT))
    if not path.is_file():
        raise FontsUnavailable(
            f"{VARIABLE_FONT} is missing from the installed {PACKAGE} ({path}); "
            "reinstall the project (pip install -e .)"
        )
    return path


def font_dir() -> Path:
    """Where the static instances are kept: settings.GAOKAO_FONT_DIR, else inside the
    virtualenv, so that they survive between test runs and never land in the repository."""
    try:
        configured = getattr(settings, "GAOKAO_FONT_DIR", None)
    except ImproperlyConfigured:  # outside Django, e.g. `python -m gaokao.documents.fonts`
        configured = None
    return Path(configured) if configured else Path(sys.prefix) / "share" / "gaokao" / "fonts"


def cache_dir() -> Path:
    # A new release of the package may bring a new font: instances are kept per version.
    return font_dir() / f"noto-sans-sc-{metadata.version(PACKAGE)}"


def ensure_fonts() -> dict[str, Path]:
    """The static font files by ReportLab name, made on the first call (about 20 s)."""
    target = cache_dir()
    paths = {name: target / file_name for name, file_name in FILES.items()}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if not missing and (target / LICENCE).is_file():
        return paths
    source = variable_font()
    target.mkdir(parents=True, exist_ok=True)
    for name in missing:
        logger.info("Making %s from %s (once, about 11 s)", paths[name], source)
        _write_atomically(
            paths[name], lambda f, name=name: _instance(source, WEIGHTS[name]).save(f)
        )
    licence = (source.parent / LICENCE).read_bytes()
    _write_atomically(target / LICENCE, lambda f: f.write(licence))
    return paths


def _instance(source: Path, weight: int):
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    return instantiateVariableFont(TTFont(source), {"wght": weight}, updateFontNames=True)


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file in the same directory and rename it into place, so
    that a process racing this one, or one killed half-way, never leaves a partial font."""
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        try:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        except BaseException:
            f.close()
            os.unlink(f.name)
            raise
    # mkstemp makes the file private; the fonts are often built by root at setup and read
    # by the app's own user.
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)


def register_fonts() -> None:
    """Register "NotoSansSC" and "NotoSansSC-Bold" with ReportLab, once per process, with a
    family so that <b> in a Paragraph picks the bold face."""
    global _registered
    with _lock:
        if _registered:
            return
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for name, path in ensure_fonts().items():
            pdfmetrics.registerFont(TTFont(name, path))
        # There is no italic CJK: italic maps to the upright faces.
        pdfmetrics.registerFontFamily(
            REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
        )
        _registered = True


def missing_glyphs(text: str) -> str:
    """The characters of ``text`` that the font lacks, each once. It covers all of CJK
    Unified Ideographs and Extension A but only 54 characters of Extension B, so a rare
    name character such as 𠮷 (U+20BB7) can be missing."""
    covered = _covered()
    return "".join(dict.fromkeys(c for c in text if ord(c) not in covered and c.isprintable()))


def printable(text: str) -> str:
    """``text`` with each character the font lacks replaced by 〓 (U+3013, the
    typesetter's mark for a missing character, 缺字), which reads as "write it in by hand",
    where ReportLab would draw an empty box that copies out of the PDF as a NUL."""
    covered = _covered()
    if all(ord(c) in covered for c in text):
        return text
    return "".join(c if ord(c) in covered or not c.isprintable() else MISSING for c in text)


def _covered() -> dict[int, int]:
    from reportlab.pdfbase import pdfmetrics

    if not _registered:
        register_fonts()
    return pdfmetrics.getFont(REGULAR).face.charToGlyph


def main() -> None:
    for name, path in ensure_fonts().items():
        print(f"{name}\t{path}")


if __name__ == "__main__":
    # At setup the progress goes to stderr; bin/_venv.sh discards the paths on stdout.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    main()

"""S2: the slips print in an embedded Noto Sans SC, built once from the PyPI package."""

import os
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from reportlab.lib.fonts import tt2ps
from reportlab.pdfbase import pdfmetrics

from gaokao.documents import fonts


def test_s2_the_variable_font_comes_from_the_installed_package():
    path = fonts.variable_font()
    assert "justmytype_intl_cjk" in path.parts
    assert path.name == "NotoSansSC[wght].ttf"


def test_s2_static_regular_and_bold_are_made_once_and_reused():
    paths = fonts.ensure_fonts()
    assert set(paths) == {fonts.REGULAR, fonts.BOLD}
    before = {name: path.stat().st_mtime_ns for name, path in paths.items()}

    again = fonts.ensure_fonts()

    assert again == paths
    assert {name: path.stat().st_mtime_ns for name, path in again.items()} == before
    assert (paths[fonts.REGULAR].parent / "OFL.txt").read_text().startswith("Copyright")
    for name, weight in fonts.WEIGHTS.items():
        font = TTFont(paths[name], lazy=True)
        assert "fvar" not in font, "a static instance, not the variable font"
        assert font["OS/2"].usWeightClass == weight
        assert "glyf" in font, "ReportLab embeds only TrueType outlines"


def test_s2_the_font_cache_lives_in_the_virtualenv_not_among_the_sources():
    package = Path(fonts.__file__).resolve().parents[1]  # gaokao/
    assert fonts.cache_dir().is_relative_to(Path(sys.prefix) / "share" / "gaokao" / "fonts")
    assert not fonts.cache_dir().resolve().is_relative_to(package)


def test_s2_the_font_cache_follows_settings(settings, tmp_path):
    settings.GAOKAO_FONT_DIR = str(tmp_path)
    assert fonts.font_dir() == tmp_path
    assert fonts.cache_dir().parent == tmp_path


def test_s2_a_failed_write_leaves_neither_the_file_nor_a_temporary_one(tmp_path):
    target = tmp_path / "font.ttf"

    def half_then_crash(f):
        f.write(b"half a font")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        fonts._write_atomically(target, half_then_crash)
    assert list(tmp_path.iterdir()) == []

    fonts._write_atomically(target, lambda f: f.write(b"whole"))
    assert target.read_bytes() == b"whole"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["font.ttf"]


def test_s2_registering_twice_is_harmless_and_bold_is_the_family_bold():
    fonts.register_fonts()
    fonts.register_fonts()
    assert {fonts.REGULAR, fonts.BOLD} <= set(pdfmetrics.getRegisteredFontNames())
    assert tt2ps(fonts.REGULAR, 1, 0) == fonts.BOLD
    assert tt2ps(fonts.REGULAR, 0, 0) == fonts.REGULAR


def test_s2_rare_name_characters_outside_the_font_are_reported():
    # Noto Sans SC has every CJK Unified Ideograph and Extension A character, but only 54
    # of Extension B: 𠮷 (U+20BB7) is not among them, 䶮 (U+4DAE, Ext-A) and 龘 are.
    assert fonts.missing_glyphs("吉𠮷祥䶮龘 A1") == "𠮷"
    assert fonts.missing_glyphs("𠮷𠮷") == "𠮷"
    assert fonts.printable("吉𠮷祥") == "吉〓祥"
    assert fonts.printable("张三 A1\n") == "张三 A1\n"


def test_s2_the_module_entry_builds_and_prints_the_paths(capsys):
    fonts.main()
    printed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in printed] == [fonts.REGULAR, fonts.BOLD]
    assert all(os.path.isfile(line.split("\t")[1]) for line in printed)

"""UI text: English source strings, Simplified Chinese by default, catalogs compiled at
install without system tools."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.utils import translation

from gaokao.i18n import LOCALE_DIR

PACKAGE = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "zh_Hans/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "gettext_lazy": None, "pgettext_lazy": (1, 2)}
TEMPLATE_STRING = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")


def catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="zh_Hans")


def marked_strings() -> set[str]:
    """Every string marked for translation in the package's code and templates."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts or "testing" in path.parts or "e2e" in path.parts:
            continue
        for _lineno, message, _comments, _context in extract_from_file(
            "python", path, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    for path in PACKAGE.rglob("*.html"):
        found.update(m.group(2) for m in TEMPLATE_STRING.finditer(path.read_text()))
    return found


def test_r1_every_marked_string_has_a_chinese_translation():
    current = (m for m in catalog() if m.id and not m.fuzzy)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in current}
    missing = sorted(s for s in marked_strings() if not translated.get(s))
    assert not missing, f"add these to {PO.name} (gaokao makemessages -l zh_Hans): {missing}"


def as_key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def translations(messages) -> dict:
    """msgid → msgstr of the translated messages (untranslated ones fall back to English)."""

    def done(m):
        return m.id and not m.fuzzy and all(as_key(m.string) if m.pluralizable else [m.string])

    return {as_key(m.id): as_key(m.string) for m in messages if done(m)}


def test_r1_compiled_catalog_matches_the_po_file():
    with MO.open("rb") as f:
        compiled = translations(read_mo(f))
    source = translations(catalog())
    stale = {k: v for k, v in source.items() if compiled.get(k) != v}
    assert not stale, "the .mo is stale: run `python -m gaokao.i18n`"


def test_r1_chinese_is_the_default_language(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert translation.gettext("Sign in") == "登录"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


def test_r1_every_catalog_entry_is_translated():
    """Catches what the scan above cannot, such as {% blocktranslate %} and plurals."""
    untranslated = [m.id for m in catalog() if m.id and (m.fuzzy or not all(as_key(m.string)))]
    assert not untranslated, f"translate these in {PO.name}: {untranslated}"

"""The gettext catalogs: complete for English, German, French and Spanish where respondents and report readers read,
placeholders that match the English text's, compiled files that match their source, and the tools that check it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from cxmaturity.cli import Language, app
from cxmaturity.i18n import LOCALES, gettext, ngettext, use_locale
from cxmaturity.i18n.catalogs import LOCALE_DIR, translations_for
from cxmaturity.i18n.check import COMPLETE_SOURCES, check_all, check_catalog, french_typography, placeholders

ROOT = Path(__file__).parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _extracted() -> dict[str, set[str]]:
    """Every text marked for translation in the sources now, with the files it comes from (as pybabel reads them)."""
    found: dict[str, set[str]] = {}
    method_map = [("src/cxmaturity/**.py", "python"), ("src/cxmaturity/**/templates/**.html", "jinja2")]
    options = {"src/cxmaturity/**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    for filename, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map=options, keywords=KEYWORDS):
        if filename.startswith("src/"):
            key = message if isinstance(message, str) else message[0]
            found.setdefault(key, set()).add(filename)
    return found


def _catalog(language: str) -> dict[str, object]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale=language)
    return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}


def test_the_committed_catalogs_pass_every_check() -> None:
    assert [str(p) for p in check_all()] == []


@pytest.mark.parametrize("language", LOCALES)
def test_every_text_of_the_respondent_pages_emails_and_report_is_translated(language: str) -> None:
    # Against the sources themselves, so that a text added without `make translations` fails here.
    catalog = _catalog(language)
    needed = {text for text, files in _extracted().items() if any(f.startswith(COMPLETE_SOURCES) for f in files)}
    assert len(needed) > 150
    missing = sorted(text for text in needed if not catalog.get(text))
    assert missing == []
    # Each area is covered: the respondent pages, the e-mails and the report all have texts in the catalog.
    areas = {"respond", "mail.py", "report"}
    covered = {a for text, files in _extracted().items() for f in files for a in areas if a in f and text in catalog}
    assert covered == areas


def test_the_languages_of_the_command_line_are_the_catalogs() -> None:
    assert tuple(lang.value for lang in Language) == LOCALES


def test_texts_come_out_in_the_active_locale() -> None:
    with use_locale("de"):
        assert gettext("Next") == "Weiter"
        assert ngettext("%(num)s answer", "%(num)s answers", 3) % {"num": 3} == "3 Antworten"
    with use_locale("fr"):
        assert gettext("Don't know") == "Je ne sais pas"
    with use_locale("es"):
        assert gettext("Finish") == "Finalizar"
    with use_locale("it"):  # no catalog: English
        assert gettext("Next") == "Next"
    assert gettext("Next") == "Next"  # outside any block


def _copy_catalogs(tmp_path: Path) -> Path:
    target = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, target, ignore=shutil.ignore_patterns("*.pot"))
    return target


def _edit(po: Path, old: str, new: str) -> int:
    """Replace a translation in a .po file; return the line of its msgid (where a problem is reported)."""
    lines = po.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line == f'msgstr "{old}"\n':
            lines[i] = f'msgstr "{new}"\n'
            po.write_text("".join(lines), encoding="utf-8")
            return next(j + 1 for j in range(i, -1, -1) if lines[j].startswith("msgid "))
    raise AssertionError(f"no translation {old!r} in {po}")


def test_a_translation_with_a_different_placeholder_is_refused(tmp_path: Path) -> None:
    locale = _copy_catalogs(tmp_path)
    po = locale / "de" / "LC_MESSAGES" / "messages.po"
    line = _edit(po, "Seite %(n)s von %(pages)s", "Seite %(n)s von %(seiten)s")
    problems = [str(p) for p in check_catalog(po, "de", complete=True)]
    assert problems == [
        f"{po}:{line}: [de] placeholders (%(n)s, %(seiten)s) differ from the English text's (%(n)s, %(pages)s): "
        "'Page %(n)s of %(pages)s'"
    ]


def test_a_translation_that_drops_a_placeholder_or_changes_its_type_is_refused(tmp_path: Path) -> None:
    locale = _copy_catalogs(tmp_path)
    po = locale / "fr" / "LC_MESSAGES" / "messages.po"
    _edit(po, "Question %(number)d\u00a0: %(message)s", "Question\u00a0: %(message)s")
    _edit(po, "Logo de %(organization)s", "Logo de %(organization)d")
    problems = [p.message for p in check_catalog(po, "fr", complete=True)]
    assert problems == [
        "placeholders (%(organization)d) differ from the English text's (%(organization)s): '%(organization)s logo'",
        "placeholders (%(message)s) differ from the English text's (%(message)s, %(number)d): "
        "'Question %(number)d: %(message)s'",
    ]


def test_an_untranslated_respondent_text_is_refused_but_the_facilitators_may_wait(tmp_path: Path) -> None:
    locale = _copy_catalogs(tmp_path)
    po = locale / "es" / "LC_MESSAGES" / "messages.po"
    _edit(po, "Siguiente", "")  # the respondent pages' "Next"
    _edit(po, "Cerrar sesión", "")  # the facilitator's "Sign out": falls back to English
    problems = [p.message for p in check_catalog(po, "es", complete=True)]
    assert problems == ["untranslated: 'Next'"]


def test_a_compiled_catalog_older_than_its_source_is_refused(tmp_path: Path) -> None:
    locale = _copy_catalogs(tmp_path)
    _edit(locale / "de" / "LC_MESSAGES" / "messages.po", "Weiter", "Nächste Seite")
    assert [p.message for p in check_all(locale)] == ["older than its .po file: run `make translations`"]


def test_the_check_command_refuses_a_wrong_placeholder(tmp_path: Path) -> None:
    locale = _copy_catalogs(tmp_path)
    po = locale / "de" / "LC_MESSAGES" / "messages.po"
    line = _edit(po, "Frage %(number)d: %(message)s", "Frage %(nummer)d: %(message)s")
    result = CliRunner().invoke(app, ["translations", "check", "--locale-dir", str(locale)])
    assert result.exit_code == 1
    assert f"{po}:{line}: [de] placeholders (%(message)s, %(nummer)d) differ" in result.output
    fine = CliRunner().invoke(app, ["translations", "check"])
    assert fine.exit_code == 0, fine.output


def test_placeholders_are_read_as_python_formats_them() -> None:
    assert placeholders("%(b)s and %(a).2f, 100%% sure, %d") == [":d", "a:f", "b:s"]


def test_every_catalog_compiles_to_the_file_the_app_reads() -> None:
    for language in LOCALES[1:]:
        assert translations_for(language).gettext("Back") != "Back"


def test_french_signs_take_a_no_break_space_before_them_and_inside_guillemets() -> None:
    assert french_typography("Début\u00a0: %(title)s\u202f; coût %(cost)s. Tenu\u202f? Merci\u202f!") == []
    assert french_typography("«\u00a0%(text)s\u00a0»") == []
    assert french_typography("Début : %(title)s") == ["an ordinary space before ':'"]
    assert french_typography("Tenu?") == ["no space before '?'"]
    assert french_typography("Merci ! Fin ; suite") == ["an ordinary space before '!'", "an ordinary space before ';'"]
    assert french_typography("« %(text)s »") == ["no no-break space after «", "no no-break space before »"]
    # Signs inside a value, a URL, markup or a placeholder's neighbourhood are not punctuation.
    assert french_typography("une heure comme 2027-03-31T17:00 ou operational:NOM") == []
    assert french_typography('voir https://example.org/a?b=c;d <a href="?lang=fr">ici</a>') == []
    assert french_typography("%(name)s\u00a0: <strong>%(value)s</strong>\u00a0;") == []


def test_a_french_translation_with_an_ordinary_space_before_a_colon_is_refused(tmp_path: Path) -> None:
    locale = _copy_catalogs(tmp_path)
    po = locale / "fr" / "LC_MESSAGES" / "messages.po"
    line = _edit(po, "Question %(number)d\u00a0: %(message)s", "Question %(number)d : %(message)s")
    _edit(po, "Merci\u202f!", "Merci!")
    _edit(po, "Tenu\u202f?", "Tenu\u202f?")  # a narrow no-break space is as good as a no-break space
    problems = [str(p) for p in check_catalog(po, "fr", complete=True)]
    assert (
        f"{po}:{line}: [fr] an ordinary space before ':' (French spacing: U+00A0 or U+202F): "
        "'Question %(number)d: %(message)s'" in problems
    )
    assert len(problems) == 2, problems
    assert "no space before '!'" in problems[1] or "no space before '!'" in problems[0]
    # German and Spanish put no space there: the rule is French only.
    assert check_catalog(locale / "de" / "LC_MESSAGES" / "messages.po", "de", complete=True) == []


def test_the_product_joins_texts_with_the_locale_s_spacing() -> None:
    from cxmaturity.i18n.phrase import Items, joint, labelled, phrase, render, semicolons

    with use_locale("fr"):
        assert labelled("Étapes", "5") == "Étapes\u00a0: 5"
        assert semicolons(["a", "b", "c"]) == "a\u202f; b\u202f; c"
        assert joint(":") == "\u00a0: "
        assert joint(";") == "\u202f; "
        assert render(phrase("%(x)s", x=Items(("un", "deux"), "semicolon"))) == "un\u202f; deux"
    with use_locale("de"):
        assert labelled("Stufen", "5") == "Stufen: 5"
        assert semicolons(["a", "b"]) == "a; b"

"""Frameworks in several languages: each text names every declared language; a missing one is named with its file,
line and language."""

from __future__ import annotations

import pytest

from cxmaturity.frameworks import FrameworkError, builtin_ids, lint_framework, load_builtin, load_framework_text
from cxmaturity.frameworks.problems import format_loc
from cxmaturity.frameworks.translations import _texts, check_translations

TWO_LANGUAGES = """\
format: cx-maturity/framework@1
id: bilingual
name: {en: Small model, de: Kleines Modell}
version: "1"
source: {en: Written for a test., de: Für einen Test geschrieben.}
language: en
languages: [en, de]
stages:
  - key: one
    name: {en: One, de: Eins}
  - key: two
    name:
      en: Two
      de: Zwei
  - key: three
    name: {en: Three, de: Drei}
scales:
  yn:
    options:
      - {key: "no", label: {en: "No", de: Nein}, value: 0}
      - {key: "yes", label: {en: "Yes", de: Ja}, value: 1}
competencies:
  - key: c
    name: {en: Listening, de: Zuhören}
    indicators:
      - {key: i2, kind: statement, stage: two, scale: yn, text: {en: We listen., de: Wir hören zu.}}
      - {key: i3, kind: statement, stage: three, scale: yn, text: {en: We act., de: Wir handeln.}}
"""


def mutate(old: str, new: str) -> str:
    assert TWO_LANGUAGES.count(old) == 1, old
    return TWO_LANGUAGES.replace(old, new)


def errors(text: str) -> list[str]:
    with pytest.raises(FrameworkError) as caught:
        load_framework_text(text, "model.yaml")
    return [str(p) for p in caught.value.problems]


def test_it_loads_a_framework_whose_texts_name_every_language() -> None:
    fw = load_framework_text(TWO_LANGUAGES, "model.yaml")
    assert fw.offered_languages == ("en", "de")
    assert fw.text(fw.stages[1].name, "de") == "Zwei"
    assert fw.in_language("de").text(fw.competencies[0].name) == "Zuhören"
    assert fw.in_language("fr") is fw  # not offered: the framework's own language


def test_a_missing_translation_is_named_with_file_line_and_language() -> None:
    text = mutate("      de: Zwei\n", "")
    assert errors(text) == [
        "model.yaml:13:7 stages[1].name: missing the 'de' translation (the framework's languages are en, de)"
    ]


def test_a_text_left_in_one_language_misses_every_other_language() -> None:
    text = mutate("text: {en: We act., de: Wir handeln.}", "text: We act.")
    assert errors(text) == [
        "model.yaml:27:67 competencies[0].indicators[1].text: missing the 'de' translation "
        "(the framework's languages are en, de)"
    ]


def test_required_texts_are_checked_too() -> None:
    # name and source are required fields (pydantic keeps their metadata apart from optional ones).
    assert errors(mutate("name: {en: Small model, de: Kleines Modell}", "name: Small model")) == [
        "model.yaml:3:7 name: missing the 'de' translation (the framework's languages are en, de)"
    ]


def test_a_translation_into_an_undeclared_language_is_refused() -> None:
    text = mutate("name: {en: Listening, de: Zuhören}", "name: {en: Listening, de: Zuhören, fr: Écouter}")
    assert errors(text) == [
        "model.yaml:24:44 competencies[0].name.fr: 'fr' is not one of the framework's languages (en, de); "
        "add it to 'languages' or remove this translation"
    ]


def test_the_languages_must_include_the_frameworks_own_and_each_once() -> None:
    assert errors(mutate("languages: [en, de]", "languages: [de]")) == [
        "model.yaml:7:12 languages: lists de but not the framework's own language 'en'"
    ]
    assert errors(mutate("languages: [en, de]", "languages: [en, de, de]")) == [
        "model.yaml:7:21 languages[2]: 'de' is listed twice"
    ]


def test_a_framework_without_languages_is_not_checked() -> None:
    text = mutate("languages: [en, de]\n", "").replace("name: {en: Listening, de: Zuhören}", "name: Listening")
    fw = load_framework_text(text, "model.yaml")
    assert fw.offered_languages == ("en",)
    assert check_translations(fw) == []


def test_the_validate_command_reports_a_missing_translation(tmp_path: object) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from cxmaturity.cli import app

    folder = Path(str(tmp_path))
    (folder / "model.yaml").write_text(mutate("      de: Zwei\n", ""), encoding="utf-8")
    result = CliRunner().invoke(app, ["frameworks", "validate", str(folder / "model.yaml")])
    assert result.exit_code == 1
    assert "model.yaml:13:7 stages[1].name: missing the 'de' translation" in result.output


def test_a_builtin_framework_ships_in_english_german_french_and_spanish() -> None:
    fw = load_builtin("four-competencies")
    assert fw.offered_languages == ("en", "de", "fr", "es")
    texts = _texts(fw, ())
    # Every text a respondent or a report shows: names, descriptions, stages, scales, indicators, rubric options,
    # actions. Each is a mapping of all four languages, none of them empty or left in English.
    assert len(texts) > 200
    for loc, text in texts:
        assert isinstance(text, dict), format_loc(loc)
        assert set(text) == {"en", "de", "fr", "es"}, format_loc(loc)
        for lang in ("de", "fr", "es"):
            assert text[lang].strip(), (format_loc(loc), lang)
            # Not left in English (a short name such as "Plan" may read the same).
            assert text[lang] != text["en"] or len(text["en"]) < 12, (format_loc(loc), lang)
    assert lint_framework(fw) == []


@pytest.mark.parametrize("framework_id", builtin_ids())
def test_every_builtin_framework_still_loads(framework_id: str) -> None:
    assert load_builtin(framework_id).id == framework_id

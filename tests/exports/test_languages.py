"""Exports with headers in a language (docs/exports.md, "Headers and languages"): a German workbook names its sheets
and columns in German, the English files stay byte for byte the stable ones, and an answers file exported in any
language reads back (cxm score, the CSV import) to the same results. SYNTHETIC demo answers."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import load_workbook

from cxmaturity.answers.csv_reader import read_answers_text
from cxmaturity.answers.xlsx_reader import read_answers_workbook
from cxmaturity.exports import build, write
from cxmaturity.frameworks import Framework
from cxmaturity.i18n import LOCALES
from cxmaturity.scoring import ResponseMatrix, score
from cxmaturity.scoring.serialize import result_to_dict
from tests.exports.conftest import POINT, source_of


def _sheets(data: bytes) -> dict[str, list[list[object]]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {name: [list(row) for row in book[name].iter_rows(values_only=True)] for name in book.sheetnames}


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_german_workbook_names_its_sheets_and_columns_in_german(xm: Framework, demo: ResponseMatrix) -> None:
    export = build(source_of(xm, demo, plan=True), "all", random.Random(1))
    sheets = _sheets(write(export, "xlsx", "de"))
    assert list(sheets)[:3] == ["Antworten", "Kommentare", "Gesamt"]
    assert {"Kompetenzen", "Indikatoren", "Antwortzählungen", "Gruppen", "Plan", "Über diesen Export"} <= set(sheets)
    key = xm.indicator_keys[0]
    answers = sheets["Antworten"][0]
    # Indicator keys stay keys: they are what the answers are read back by.
    assert answers[:3] == ["Befragte Person", "Gruppe", key]
    assert f"{key}:Wichtigkeit" in answers
    assert sheets["Gesamt"][0][:9] == [
        "Modell",
        "Framework-Version",
        "Befragte",
        "Ausgeschlossene Befragte",
        "Nicht bewertet",
        "Stufe",
        "Stufennummer",
        "Stufenname",
        "Wert",
    ]
    competencies = sheets["Kompetenzen"][0]
    assert "Kompetenz" in competencies
    assert any(str(name).startswith("Erfüllung ") for name in competencies)
    about = {row[0]: row[1] for row in sheets["Über diesen Export"][1:]}
    assert "Exportiert am (UTC)" in about
    assert str(about["Anonymität"]).startswith("Befragte erscheinen unter Pseudonymen")
    assert str(about["Daten"]).startswith("SYNTHETIC")
    # Cells keep their values: the same numbers as the stable workbook.
    stable = _sheets(write(export, "xlsx"))
    assert sheets["Gesamt"][1] == stable["overall"][1]
    assert stable["answers"][0][:2] == ["respondent", "group"]


@pytest.mark.parametrize("name", ["answers", "comments", "plan"])
def test_english_csv_files_are_the_stable_ones_byte_for_byte(
    xm: Framework, demo: ResponseMatrix, rng: Callable[[], random.Random], name: str
) -> None:
    source = source_of(xm, demo, plan=True)
    stable = write(build(source, name, rng()), "csv")
    assert write(build(source, name, rng()), "csv", "en") == stable
    assert write(build(source, name, rng()), "csv", None) == stable
    assert write(build(source, name, rng()), "xlsx", "en") == write(build(source, name, rng()), "xlsx")
    german = write(build(source, name, rng()), "csv", "de")
    assert german != stable
    # Only the header row changes.
    assert _csv_rows(german)[1:] == _csv_rows(stable)[1:]


def test_the_stable_answers_header_is_the_answers_format(xm: Framework, demo: ResponseMatrix) -> None:
    header = _csv_rows(write(build(source_of(xm, demo), "answers"), "csv"))[0]
    keys = list(xm.indicator_keys)
    assert header == ["respondent", "group", *keys, *(f"{k}:importance" for k in keys)]


def test_a_zip_keeps_its_file_names_and_translates_the_headers(xm: Framework, demo: ResponseMatrix) -> None:
    data = write(build(source_of(xm, demo), "all"), "zip", "fr")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "answers.csv" in archive.namelist()
        assert "about.csv" in archive.namelist()
        assert _csv_rows(archive.read("answers.csv"))[0][:2] == ["Répondant", "Groupe"]


def test_json_keeps_the_stable_names_in_every_language(xm: Framework, demo: ResponseMatrix) -> None:
    source = source_of(xm, demo)
    assert write(build(source, "all", random.Random(2)), "json", "es") == write(
        build(source, "all", random.Random(2)), "json"
    )


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize(("name", "fmt"), [("answers", "csv"), ("answers", "xlsx"), ("all", "xlsx"), ("all", "zip")])
def test_answers_exported_in_any_language_read_back_to_the_same_results(
    xm: Framework, demo: ResponseMatrix, language: str, name: str, fmt: str
) -> None:
    data = write(build(source_of(xm, demo), name), fmt, language)
    if fmt == "csv":
        back = read_answers_text(data.decode("utf-8"), xm, "answers.csv")
    elif fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            back = read_answers_text(archive.read("answers.csv").decode("utf-8"), xm, "answers.csv")
    else:
        back = read_answers_workbook(data, xm, "answers.xlsx")
    assert back.size == demo.size
    assert result_to_dict(score(back, POINT)) == result_to_dict(score(demo, POINT))

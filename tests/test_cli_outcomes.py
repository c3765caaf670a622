"""``cxm outcomes``: the JSON shapes of summary, drivers and asset (a public contract, docs/cli.md), text output, a
saved mapping, and bad input as lines naming file, row and column with exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from cxmaturity.cli import app

DATA = Path(__file__).resolve().parent / "data" / "outcomes"


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_it_summarizes_a_qualtrics_export_as_json() -> None:
    result = _run("outcomes", "summary", str(DATA / "qualtrics.csv"), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["source"], data["tool"], data["responses"], data["partial_skipped"]) == (
        str(DATA / "qualtrics.csv"),
        "qualtrics",
        13,
        1,
    )
    nps = data["nps"]
    assert {"value", "interval", "n", "promoters", "passives", "detractors"} <= set(nps)
    assert (nps["n"], nps["promoters"], nps["passives"], nps["detractors"]) == (13, 7, 3, 3)
    assert nps["value"] == round(100 * (7 - 3) / 13, 4)
    assert nps["interval"][0] <= nps["value"] <= nps["interval"][1]
    assert data["csat"]["top_box"] == 9
    assert data["ces"]["scale"] == 7
    assert [c["period"] for c in nps["by_period"]] == ["2026-01", "2026-02"]
    assert [c["segment"] for c in nps["by_segment"]] == ["North", "South"]
    assert nps["changes"][0]["verdict"] in ("improved", "declined", "no clear change")


def test_a_metric_the_file_does_not_hold_is_absent(tmp_path: Path) -> None:
    path = tmp_path / "only-nps.csv"
    path.write_text("id,How likely are you to recommend us?\na,9\nb,10\nc,3\n", encoding="utf-8")
    data = json.loads(_run("outcomes", "summary", str(path), "--format", "json").stdout)
    assert "nps" in data
    assert "csat" not in data
    assert "ces" not in data


def test_options_override_the_suggestion() -> None:
    result = _run(
        "outcomes", "summary", str(DATA / "surveymonkey.csv"), "--segment", "Custom Data 1", "--ces", "",
        "--min-segment-size", "2", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mapping"]["segment"] == "Custom Data 1"
    assert "ces" not in data  # an empty --ces: the file's CES question is not read
    assert [c["segment"] for c in data["nps"]["by_segment"]] == ["Enterprise", "SMB"]


def test_it_inspects_a_file_and_reuses_the_saved_mapping(tmp_path: Path) -> None:
    result = _run("outcomes", "inspect", str(DATA / "google-forms.csv"), "--format", "json")
    assert result.exit_code == 0, result.output
    inspected = json.loads(result.stdout)
    assert inspected["tool"] == "google-forms"
    mapping = inspected["mapping"]
    mapping["segment"] = "Which branch do you usually visit?"
    saved = tmp_path / "mapping.json"
    saved.write_text(json.dumps(mapping), encoding="utf-8")
    data = json.loads(
        _run("outcomes", "summary", str(DATA / "google-forms.csv"), "--mapping", str(saved), "--format", "json").stdout
    )
    assert [c["segment"] for c in data["nps"]["by_segment"]] == ["Central", "Harbour"]
    text = _run("outcomes", "inspect", str(DATA / "google-forms.csv")).stdout
    assert "google-forms export" in text


def test_it_prints_a_text_summary() -> None:
    result = _run("outcomes", "summary", str(DATA / "qualtrics.csv"))
    assert result.exit_code == 0
    assert "NPS" in result.stdout
    assert "1 not finished left out" in result.stdout


def test_it_names_file_row_and_column_of_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,nps,csat\na,9,4\nb,10,7\na,3,2\n", encoding="utf-8")
    result = _run("outcomes", "summary", str(path), "--nps", "nps", "--csat", "csat", "--csat-scale", "5")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:3 column 'csat': 7 is not on the CSAT scale 1-5",
        f"{path}:4 column 'id': repeats the response id of row 2: a response is counted once",
    ]
    missing = _run("outcomes", "summary", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1
    assert missing.stderr.strip() == f"{tmp_path / 'nope.csv'}: no such file"


def test_it_names_a_saved_mapping_that_is_not_utf8(tmp_path: Path) -> None:
    # Saved from an editor in Latin-1: it ended in "cxm: unexpected error: UnicodeDecodeError" (exit 70).
    mapping = tmp_path / "mapping.json"
    mapping.write_bytes('{"nps": "Q1", "segment": "Région"}'.encode("latin-1"))
    result = _run("outcomes", "summary", str(DATA / "qualtrics.csv"), "--mapping", str(mapping))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{mapping}: file is not UTF-8: byte 0xE9 on line 1 cannot be read; save the file as UTF-8"
    ]


def _drivers_file(tmp_path: Path, n: int = 400) -> Path:
    """SYNTHETIC survey: an NPS question driven mostly by billing, then support."""
    rng = np.random.default_rng(4)
    billing, coverage, support = (rng.integers(1, 6, n) for _ in range(3))
    nps = np.clip(np.round(0.9 * billing + 0.2 * coverage + 0.5 * support + rng.normal(0, 1.2, n)), 0, 10)
    lines = ["ResponseId,Q1,Q4_1,Q4_2,Q4_3"]
    lines += [f"R_{i},{int(nps[i])},{billing[i]},{coverage[i]},{support[i]}" for i in range(n)]
    path = tmp_path / "drivers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_it_finds_key_drivers_as_json(tmp_path: Path) -> None:
    path = _drivers_file(tmp_path)
    result = _run(
        "outcomes", "drivers", str(path), "--outcome", "Q1", "--drivers", "Q4_1,Q4_2,Q4_3", "--resamples", "200",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 400
    assert [d["column"] for d in data["drivers"]] == ["Q4_1", "Q4_3", "Q4_2"]
    assert sum(d["weight"] for d in data["drivers"]) == pytest.approx(data["r2"], abs=1e-5)
    for d in data["drivers"]:
        assert {"column", "weight", "share", "interval"} <= set(d)
        assert d["interval"][0] <= d["weight"] <= d["interval"][1]
    text = _run("outcomes", "drivers", str(path), "--outcome", "Q1", "--drivers", "Q4_1,Q4_2", "--resamples", "0")
    assert "key drivers of 'Q1'" in text.stdout


def test_it_explains_why_drivers_cannot_be_found(tmp_path: Path) -> None:
    path = DATA / "qualtrics.csv"
    result = _run("outcomes", "drivers", str(path), "--outcome", "Q1", "--drivers", "Q4_1,Q4_2")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}: key drivers need at least 30 complete responses")
    unknown = _run("outcomes", "drivers", str(path), "--outcome", "Q1", "--drivers", "Q9")
    assert unknown.exit_code == 1
    assert f"{path}:3: no column 'Q9' (mapped as driver Q9)" in unknown.stderr


def test_it_measures_the_customer_asset_as_json() -> None:
    result = _run(
        "outcomes", "asset", str(DATA / "customers.csv"), "--from", "2026-01-01", "--to", "2026-03-31",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["start"] == {"customers": 4, "value": 307000.0}
    assert data["end"] == {"customers": 5, "value": 392000.0}
    assert data["gained"]["customers"] == 3
    assert data["lost"]["customers"] == 2
    assert (data["retention_rate"], data["churn_rate"]) == (0.75, 0.25)
    assert [s["segment"] for s in data["by_segment"]] == ["Enterprise", "SMB"]
    text = _run("outcomes", "asset", str(DATA / "customers.csv"), "--from", "2026-01-01", "--to", "2026-03-31")
    assert "retention 75.0%" in text.stdout


def test_it_refuses_a_bad_period_and_a_bad_list(tmp_path: Path) -> None:
    bad_day = _run("outcomes", "asset", str(DATA / "customers.csv"), "--from", "01/01/2026", "--to", "2026-03-31")
    assert bad_day.exit_code == 2
    assert "--from '01/01/2026' is not a date" in bad_day.stderr
    backwards = _run("outcomes", "asset", str(DATA / "customers.csv"), "--from", "2026-03-01", "--to", "2026-01-01")
    assert backwards.exit_code == 1
    path = tmp_path / "crm.csv"
    path.write_text("customer_id,start,end,value\nC1,2026-02-01,2026-01-01,5\n", encoding="utf-8")
    bad = _run("outcomes", "asset", str(path), "--from", "2026-01-01", "--to", "2026-03-31")
    assert bad.exit_code == 1
    assert bad.stderr.strip() == f"{path}:2 column 'end': the end date 2026-01-01 is before the start date 2026-02-01"


def test_inspect_says_which_sheet_of_a_workbook_it_read(tmp_path: Path) -> None:
    from tests.outcomes.test_sources import survey_workbook

    path = survey_workbook(tmp_path / "export.xlsx", 3)
    text = _run("outcomes", "inspect", str(path))
    assert text.exit_code == 0, text.output
    assert "(read the sheet 'Responses', the first of 3)" in text.stdout.splitlines()[0]
    data = json.loads(_run("outcomes", "inspect", str(path), "--format", "json").stdout)
    assert (data["sheet"], data["sheets"]) == ("Responses", 3)
    assert data["sheet_read"] == "read the sheet 'Responses', the first of 3"

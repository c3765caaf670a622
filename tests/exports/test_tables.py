"""The export tables of SYNTHETIC demo answers: anonymized answers in the CLI's wide format, comments as the
dashboard shows them, the results, the plan, and what the export says about itself."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from cxmaturity.answers.csv_reader import GROUP, RESPONDENT
from cxmaturity.demo import SYNTHETIC_LABEL
from cxmaturity.exports import EXPORTS, Export, ExportError, build
from cxmaturity.exports.anonymity import pseudonym_order
from cxmaturity.frameworks import Framework
from cxmaturity.frameworks.model import Statement
from cxmaturity.planning.export import period_start
from cxmaturity.scoring import ResponseMatrix, ScoringOptions
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE
from cxmaturity.scoring.serialize import result_to_dict
from tests.exports.conftest import Note, source_of
from tests.support.values import known


def _records(export: Export, table: str) -> list[dict[str, Any]]:
    return export.table(table).records()


def _about(export: Export) -> dict[Any, Any]:
    return {row[0]: row[1] for row in export.about.rows}


def _answer_cells(fw: Framework, responses: ResponseMatrix, r: int) -> tuple[object, ...]:
    special = {MISSING: None, DONT_KNOW_CODE: "dk", NOT_APPLICABLE_CODE: "na"}
    cells = []
    for i, (_, ind) in enumerate(fw.indicators):
        code = int(responses.answers[r, i])
        cells.append(special[code] if code < 0 else fw.answer_keys(ind)[code])
    return tuple(cells)


def test_answers_are_the_wide_answers_format_under_pseudonyms(
    xm: Framework, demo: ResponseMatrix, rng: Callable[[], random.Random]
) -> None:
    table = build(source_of(xm, demo), "answers", rng()).table("answers")
    keys = xm.indicator_keys
    assert table.header == (RESPONDENT, GROUP, *keys, *(f"{k}:importance" for k in keys))
    order = pseudonym_order(demo.size, rng())
    m = len(keys)
    for k, row in enumerate(table.rows):
        r = order[k]
        assert row[0] == f"R{k + 1:04d}"
        assert row[1] == demo.groups[r]  # every demo group has at least 3 respondents
        assert row[2 : 2 + m] == _answer_cells(xm, demo, r)
    assert order != sorted(order)


def test_answers_keep_every_kind_of_cell_typed(
    xm: Framework, demo: ResponseMatrix, rng: Callable[[], random.Random]
) -> None:
    table = build(source_of(xm, demo), "answers", rng()).table("answers")
    m = len(xm.indicator_keys)
    by_respondent = dict(zip(pseudonym_order(demo.size, rng()), table.rows, strict=True))
    silent = by_respondent[4]
    assert silent[2:] == (None,) * (2 * m)  # answered nothing: still a respondent, with empty cells
    assert by_respondent[1][2 + 4] == "na"
    assert by_respondent[2][2 + 5] is None
    assert by_respondent[2][2 + m + 5] == 4
    assert isinstance(by_respondent[2][2 + m + 5], int)
    assert by_respondent[3][2 + m + 6] == 3.5
    values = [v for row in table.rows for v in row[2 + m :] if v is not None]
    assert values
    assert all(isinstance(v, int | float) for v in values)


def test_no_respondent_id_or_invitation_order_leaks(
    xm: Framework, demo: ResponseMatrix, rng: Callable[[], random.Random]
) -> None:
    export = build(source_of(xm, demo), "all", rng())
    text = repr([t.rows for t in export.tables]) + repr(export.about.rows) + repr(export.document)
    for respondent in demo.respondents:
        assert respondent not in text
    # Pseudonyms are drawn afresh at every export: two exports do not share them.
    again = build(source_of(xm, demo), "answers").table("answers").rows
    assert Counter(row[1:] for row in again) == Counter(row[1:] for row in export.table("answers").rows)


def test_small_groups_are_withheld_in_the_answers(xm: Framework, small_groups: ResponseMatrix) -> None:
    export = build(source_of(xm, small_groups), "answers")
    groups = Counter(row[1] for row in export.table("answers").rows)
    assert groups == {"Leadership team": 5, "Operations": 6, "Front line": 4, "": 3}
    about = _about(export)
    assert about["groups_named_in_answers"] == "Front line, Leadership team, Operations"
    assert about["respondents_without_group_in_answers"] == 3


def test_one_person_in_a_small_group_is_never_isolated_by_the_named_groups(
    xm: Framework, one_alone: ResponseMatrix
) -> None:
    export = build(source_of(xm, one_alone), "all")
    # Audit has one person. The scoring withholds the smallest shown group (Leadership team, 5) as well, so that the
    # rows without a group name are six, not one; the export names exactly the groups the results show.
    shown = {row[0] for row in export.table("groups").rows}
    assert shown == {"Operations", "Front line"}
    labels = [row[1] for row in export.table("answers").rows]
    assert set(labels) == shown | {""}
    assert labels.count("") >= 3
    assert "Audit" not in repr(export.document) + repr([t.rows for t in export.tables])


def test_comments_are_shown_as_the_dashboard_shows_them(xm: Framework, small_groups: ResponseMatrix) -> None:
    first, second = xm.indicator_keys[0], xm.indicator_keys[1]
    notes = (
        Note(second, "Operations", "b second question"),
        Note(first, "Legal", "z from a small group"),  # a group the results hide: never named
        Note(first, None, "a first question"),
        Note("not-in-framework", None, "dropped"),
    )
    table = build(source_of(xm, small_groups, comments=notes), "comments").table("comments")
    assert table.header == ("competency", "indicator", "indicator_text", "group", "comment")
    assert [(row[1], row[3], row[4]) for row in table.rows] == [
        (first, None, "a first question"),
        (first, None, "z from a small group"),
        (second, "Operations", "b second question"),
    ]
    assert table.rows[0][0] == xm.competencies[0].key
    assert table.rows[0][2] == xm.text(xm.indicator(first).text)


def test_results_tables_hold_the_scored_numbers(xm: Framework, demo: ResponseMatrix) -> None:
    source = source_of(xm, demo, ScoringOptions(bootstrap=200, targets={"lead": "embed"}))
    result, data = source.result, result_to_dict(source.result)
    export = build(source, "results")
    assert [t.name for t in export.tables] == list(EXPORTS["results"])
    overall = _records(export, "overall")[0]
    assert overall["score"] == data["overall"]["score"]
    assert (overall["lower"], overall["upper"]) == tuple(data["overall"]["interval"])
    # The demo's respondent who answered nothing is no evidence: counted apart, not in n.
    assert (overall["respondents"], overall["excluded_respondents"]) == (17, 1)
    assert overall["not_assessed"] == ""
    assert overall["bootstrap"] == 200
    competencies = _records(export, "competencies")
    for row, comp in zip(competencies, data["competencies"], strict=True):
        assert (row["competency"], row["stage"], row["score"]) == (comp["key"], comp["stage"], comp["score"])
        assert row["rwg"] == comp["agreement"]["rwg"]
        assert row["fulfilment_" + xm.stage_keys[1]] == comp["fulfilment"][xm.stage_keys[1]]
    lead = next(row for row in competencies if row["competency"] == "lead")
    assert lead["target"] == "embed"
    assert lead["target_number"] == xm.stage_number("embed")
    gap = next(g for g in result.gaps if g.competency == "lead")
    assert lead["gap"] == round(gap.gap, 4)
    indicators = _records(export, "indicators")
    assert [row["indicator"] for row in indicators] == list(xm.indicator_keys)
    assert [row["answered"] for row in indicators] == [i.answered for i in result.indicators]
    ranked = sorted((row for row in indicators if row["discussion_rank"]), key=lambda row: row["discussion_rank"])
    assert [row["indicator"] for row in ranked] == [d.indicator for d in result.discussion_items]
    counts: Counter[str] = Counter()
    for row in _records(export, "distributions"):
        counts[str(row["indicator"])] += row["count"]
    assert all(counts[i.key] == i.answered for i in result.indicators)
    groups = _records(export, "groups")
    assert [(g["group"], g["respondents"]) for g in groups] == [(g.group, g.respondents) for g in result.groups]
    assert groups[0][xm.competencies[0].key] == round(known(result.groups[0].competencies[0].score), 4)


def test_distributions_name_each_option_with_its_value(xm: Framework, demo: ResponseMatrix) -> None:
    rows = build(source_of(xm, demo), "results").table("distributions").records()
    first = xm.indicators[0][1]
    assert isinstance(first, Statement)
    options = xm.scales[first.scale].options
    mine = [row for row in rows if row["indicator"] == first.key]
    assert [(row["option"], row["value"]) for row in mine] == [(o.key, o.value) for o in options]


def test_the_plan_table_has_the_plan_csv_columns_and_dates(xm: Framework, demo: ResponseMatrix) -> None:
    source = source_of(xm, demo, plan=True)
    assert source.plan is not None
    table = build(source, "plan").table("plan")
    assert table.rows, "the demo team's plan has initiatives"
    for row, item in zip(table.records(), source.plan.plan.initiatives, strict=True):
        assert (row["key"], row["start"], row["end"]) == (item.key, item.start, item.end)
        assert row["start_date"] == period_start(date(2026, 4, 1), item.start)
        assert row["end_date"] == period_start(date(2026, 4, 1), item.end) - timedelta(days=1)
        assert isinstance(row["quick_win"], bool)
        assert row["indicators"] == " ".join(item.indicators)


def test_the_about_table_labels_synthetic_data_and_the_time(xm: Framework, demo: ResponseMatrix) -> None:
    about = build(source_of(xm, demo), "answers").about.rows
    assert about[0] == ("data", SYNTHETIC_LABEL)
    values = _about(build(source_of(xm, demo), "answers"))
    assert values["exported_at_utc"] == datetime(2026, 3, 4, 5, 6, 7)
    assert values["respondents"] == 17  # the respondent who answered nothing is not counted
    real = _about(build(source_of(xm, demo, synthetic=False), "answers"))
    assert "data" not in real


def test_json_documents_are_the_api_shapes(xm: Framework, demo: ResponseMatrix) -> None:
    source = source_of(xm, demo, plan=True)
    assert build(source, "results").document == {"data": SYNTHETIC_LABEL, **result_to_dict(source.result)}
    assert source.plan is not None
    assert build(source, "plan").document == {"data": SYNTHETIC_LABEL, **source.plan.document}
    everything = build(source, "all").document
    assert everything["results"] == result_to_dict(source.result)
    assert everything["plan"] == source.plan.document
    assert len(everything["answers"]) == 18
    assert everything["answers"][0]["respondent"] == "R0001"


def test_it_refuses_what_it_cannot_export(xm: Framework, demo: ResponseMatrix) -> None:
    source = source_of(xm, demo)
    with pytest.raises(ExportError, match="no saved plan"):
        build(source, "plan")
    with pytest.raises(ExportError, match="no export named 'everything'"):
        build(source, "everything")
    assert "plan" not in [t.name for t in build(source, "all").tables]


def test_the_tracks_table_holds_each_tracks_scored_numbers() -> None:
    from cxmaturity.demo import demo_responses
    from cxmaturity.frameworks import load_builtin

    yohn = load_builtin("yohn-cx-maturity")
    source = source_of(yohn, demo_responses(yohn), ScoringOptions(bootstrap=200))
    data = result_to_dict(source.result)
    rows = _records(build(source, "results"), "tracks")
    assert [row["name"] for row in rows] == [
        "Vision and Strategy",
        "Leadership and Alignment",
        "Organizational Readiness",
    ]
    for row, track in zip(rows, data["tracks"], strict=True):
        assert (row["track"], row["stage"], row["score"]) == (track["key"], track["stage"], track["score"])
        assert (row["lower"], row["upper"]) == tuple(track["interval"])
        assert row["stage_probability"] == track["stage_probabilities"][track["stage"]]
    assert rows[2]["competencies"] == "customer-intimacy employee-engagement skills systems-processes"


def test_the_tracks_table_is_empty_without_tracks(xm: Framework, demo: ResponseMatrix) -> None:
    assert _records(build(source_of(xm, demo), "results"), "tracks") == []

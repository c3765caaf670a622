"""A displayed score never rounds up into the next stage: 2.9955 is stage 2 and reads 2.99 everywhere."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime

from rich.console import Console

from cxmaturity.frameworks import Framework
from cxmaturity.reporting import report as reporting
from cxmaturity.reporting.console import render_result
from cxmaturity.reporting.render_html import render_html
from cxmaturity.scoring import Result
from cxmaturity.scoring.display import floor_score, not_assessed_note, score_text
from cxmaturity.scoring.serialize import result_to_dict

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _near_the_next_stage(worked: Result) -> Result:
    """The worked example with Vision at 2.9955 (still Learning) and the overall at 1.99996 (still Emerging)."""
    vision, insight = worked.competencies
    return dataclasses.replace(
        worked,
        competencies=(dataclasses.replace(vision, score=2.9955), insight),
        overall=dataclasses.replace(worked.overall, score=1.99996),
    )


def test_it_floors_at_the_shown_digits() -> None:
    assert score_text(2.9955) == "2.99"
    assert score_text(2.3) == "2.30"  # not 2.29 from 2.3's binary neighbour
    assert score_text(3.0) == "3.00"
    assert score_text(None) == "-"
    assert floor_score(2.99996, 4) == 2.9999
    assert floor_score(1.0, 4) == 1.0
    assert not_assessed_note([]) is None
    assert not_assessed_note(["A", "B"]) == "Not assessed (no usable answers): A, B; left out of the overall."


def test_the_json_floors_scores_but_rounds_the_rest(worked: Result) -> None:
    data = result_to_dict(_near_the_next_stage(worked))
    assert data["overall"]["score"] == 1.9999
    assert data["competencies"][0]["score"] == 2.9955
    nearly = dataclasses.replace(worked.competencies[0], score=2.99996)
    data = result_to_dict(dataclasses.replace(worked, competencies=(nearly, worked.competencies[1])))
    assert data["competencies"][0]["score"] == 2.9999
    assert data["coverage"] == round(worked.coverage, 4)


def test_the_console_shows_299_next_to_stage_2(worked: Result, example: Framework) -> None:
    out = io.StringIO()
    render_result(_near_the_next_stage(worked), example, Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    row = next(line for line in text.splitlines() if "Vision and strategy" in line and "│" in line)
    assert "Learning" in row
    assert "2.99" in row
    assert "3.00" not in row
    assert "Overall (weakest): Emerging, score 1.99" in text


def test_the_report_shows_299_next_to_stage_2(worked: Result, example: Framework) -> None:
    model = reporting.build(
        _near_the_next_stage(worked), example, title="Close", organization="Example Co", generated_at=NOW
    )
    html = render_html(model)
    assert "Vision and strategy is at Learning (stage 2 of 3; score 2.99)" in html
    assert re.search(r"<td>Learning</td>\s*<td class=\"num\">2\.99</td>", html)
    assert "score 3.00" not in html
    assert ">3.00<" not in html
    assert "Overall stage Emerging (stage 1 of 3; score 1.99" in model.overall_sentence

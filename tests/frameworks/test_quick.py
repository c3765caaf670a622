"""The quick evaluation: one rubric per competency, at most 12 questions, scored by the usual rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxmaturity.answers import ResponseBuilder, Where
from cxmaturity.frameworks import FrameworkError, Rubric, builtin_ids, load_builtin, load_framework_text
from cxmaturity.frameworks.quick import MAX_QUESTIONS, quick_form
from cxmaturity.scoring import score

TEXT = (Path(__file__).parents[1] / "data" / "example.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("fid", builtin_ids())
def test_every_built_in_framework_has_a_quick_form_of_one_rubric_per_competency(fid: str) -> None:
    fw = load_builtin(fid)
    form = quick_form(fw)
    assert form.left_out == ()
    assert [c.key for c in form.framework.competencies] == [c.key for c in fw.competencies]
    for comp in form.framework.competencies:
        [indicator] = comp.indicators
        assert isinstance(indicator, Rubric)
        assert indicator in fw.competency(comp.key).indicators
    assert len(form.framework.indicators) <= MAX_QUESTIONS
    assert form.minutes <= 5
    assert form.framework.tracks == fw.tracks


def test_it_leaves_out_a_competency_without_a_rubric_and_names_it() -> None:
    form = quick_form(load_framework_text(TEXT))
    assert form.left_out == ("vision",)
    assert list(form.framework.indicator_keys) == ["ci-1"]


def test_it_refuses_a_framework_without_any_rubric() -> None:
    fw = load_framework_text(TEXT)
    no_rubric = fw.model_copy(update={"competencies": (fw.competencies[0],), "actions": ()})
    with pytest.raises(FrameworkError, match="has no rubric in any competency"):
        quick_form(no_rubric)


def test_it_refuses_more_than_twelve_questions() -> None:
    fw = load_builtin("xm-six-competencies")
    many = fw.model_copy(
        update={
            "competencies": tuple(
                c.model_copy(
                    update={
                        "key": f"{c.key}-{n}",
                        "indicators": tuple(i.model_copy(update={"key": f"{i.key}-{n}"}) for i in c.indicators),
                    }
                )
                for n in range(3)
                for c in fw.competencies
            ),
            "tracks": (),
            "actions": (),
        }
    )
    with pytest.raises(FrameworkError, match="at most 12"):
        quick_form(many)


def test_one_persons_quick_answers_give_a_stage_per_competency_with_wide_intervals() -> None:
    fw = load_builtin("cx-core-competency")
    form = quick_form(fw).framework
    builder = ResponseBuilder(form)
    for comp in form.competencies:
        builder.add("me", "", comp.indicators[0].key, "shared", Where("test"))
    result = score(builder.build())
    for found in result.competencies:
        assert found.stage == "shared"
        assert found.interval is not None
        # One person's single answer cannot pin a stage: the interval spans more than a stage.
        assert found.interval[1] - found.interval[0] > 1.0
        assert max(found.stage_probabilities.values()) < 0.9
    assert [t.key for t in result.tracks] == ["infrastructure", "realism"]


def test_the_quick_form_has_an_id_of_its_own() -> None:
    form = quick_form(load_builtin("xm-six-competencies")).framework
    assert form.id == "xm-six-competencies-quick"
    assert form.version == load_builtin("xm-six-competencies").version

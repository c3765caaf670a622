"""Every built-in framework is complete: valid, free of design warnings, and a 10-20 minute survey."""

from __future__ import annotations

import pytest

from cxmaturity.frameworks import Statement, builtin_ids, load_builtin
from cxmaturity.frameworks.catalog import inspect
from cxmaturity.frameworks.lint import estimated_minutes

EXPECTED = {
    "cx-core-competency": ["horizontal", "mandate", "embedded-experts", "decision-rights", "focus", "candour"],
    "four-competencies": ["understand", "decide", "deliver", "scale"],
    "xm-six-competencies": ["lead", "realize", "activate", "enlighten", "respond", "disrupt"],
    "bliss-maturity-map": ["customer-assets", "alignment", "listening", "reliability", "leadership"],
    "yohn-cx-maturity": [
        "vision-strategy",
        "leadership-alignment",
        "customer-intimacy",
        "employee-engagement",
        "skills",
        "systems-processes",
    ],
}
STAGES = {
    "cx-core-competency": ["siloed", "championed", "shared", "embedded", "second-nature"],
    "xm-six-competencies": ["investigate", "initiate", "mobilize", "scale", "embed"],
    "bliss-maturity-map": ["commit", "unite-build", "embed", "mature", "elevate"],
    "yohn-cx-maturity": ["emerging", "learning", "committing", "accelerating", "excelling"],
}


def test_it_ships_the_five_frameworks() -> None:
    assert builtin_ids() == sorted(EXPECTED)


@pytest.mark.parametrize("fid", sorted(EXPECTED))
def test_it_validates_and_lints_without_warnings(fid: str) -> None:
    framework, problems = inspect(fid)
    assert framework is not None
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize("fid", sorted(EXPECTED))
def test_it_has_the_published_competencies_and_stages(fid: str) -> None:
    fw = load_builtin(fid)
    assert [c.key for c in fw.competencies] == EXPECTED[fid]
    if fid in STAGES:
        assert list(fw.stage_keys) == STAGES[fid]
    assert len(fw.stages) == 5


@pytest.mark.parametrize("fid", sorted(EXPECTED))
def test_it_takes_a_respondent_10_to_20_minutes(fid: str) -> None:
    assert 10 <= estimated_minutes(load_builtin(fid)) <= 20


@pytest.mark.parametrize("fid", sorted(EXPECTED))
def test_it_mixes_statements_and_rubrics_and_has_two_actions_per_transition(fid: str) -> None:
    fw = load_builtin(fid)
    for comp in fw.competencies:
        kinds = {type(i) for i in comp.indicators}
        assert Statement in kinds, comp.key
        assert len(kinds) == 2, comp.key
        for stage in fw.stage_keys[:-1]:
            actions = [a for a in fw.actions if a.competency == comp.key and a.from_stage == stage]
            assert len(actions) >= 2, (comp.key, stage)


def test_the_core_competency_framework_says_its_stages_are_its_own() -> None:
    fw = load_builtin("cx-core-competency")
    source = fw.text(fw.source)
    assert "Siegel+Gale" in source
    assert "The article names no stages" in source
    assert fw.description is not None
    assert "The article names no stages" in fw.text(fw.description)
    assert [(t.key, t.competencies) for t in fw.tracks] == [
        ("infrastructure", ("horizontal", "mandate", "embedded-experts", "decision-rights")),
        ("realism", ("focus", "candour")),
    ]


def test_the_core_competency_framework_asks_after_each_kind_of_embedded_expert() -> None:
    fw = load_builtin("cx-core-competency")
    texts = " ".join(fw.text(i.text) for i in fw.competency("embedded-experts").indicators)
    for expertise in ("user experience", "content strategy", "plain-language writing", "interaction design"):
        assert expertise in texts


def test_the_core_competency_actions_have_prerequisites_across_competencies() -> None:
    fw = load_builtin("cx-core-competency")
    competency = {a.key: a.competency for a in fw.actions}
    crossing = [(a.key, r) for a in fw.actions for r in a.requires if competency[r] != a.competency]
    # The leadership immersion workshop comes before the changes that need the whole executive team behind them.
    assert ("a-ex-2a", "a-md-2a") in crossing
    assert ("a-dr-2a", "a-md-2a") in crossing
    assert len(crossing) >= 5

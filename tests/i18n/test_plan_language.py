"""A plan's reasons and explanations in the reader's language: made as phrases by the optimizer, stored with the plan,
and rendered with the framework's names in that language; plans stored before phrases existed still read (English).
SYNTHETIC demo answers."""

from __future__ import annotations

import dataclasses

import pytest

from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.i18n import use_locale
from cxmaturity.planning import PlanRequest
from cxmaturity.planning.model import Plan
from cxmaturity.planning.optimizer import make_plan
from cxmaturity.planning.serialize import plan_from_dict, plan_to_dict
from cxmaturity.reporting import phrases
from cxmaturity.scoring import ScoringOptions, score


@pytest.fixture(scope="module")
def planned() -> tuple[object, Plan]:
    fw = load_builtin("four-competencies")  # translated into en, de, fr and es
    result = score(demo_responses(fw), ScoringOptions(bootstrap=0))
    return fw, make_plan(fw, result, PlanRequest(time_limit=5))


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_it_writes_every_reason_in_the_readers_language(planned: tuple[object, Plan], language: str) -> None:
    fw, plan = planned
    assert plan.initiatives
    translated = fw.in_language(language)  # type: ignore[attr-defined]
    with use_locale(language):
        reasons = [phrases.reason(i, translated) for i in plan.initiatives]
    for item, text in zip(plan.initiatives, reasons, strict=True):
        assert text != item.reason
        # No English sentence part, and the competency named as the framework names it in that language.
        for english in (" is at ", "Expected to move", "It addresses", "needs it first", " aims at "):
            assert english not in text
        name = translated.text(translated.competency(item.competency).name)
        assert name in text
        assert name != fw.text(fw.competency(item.competency).name)  # type: ignore[attr-defined]


def test_a_stored_plan_keeps_its_phrases_and_an_old_one_reads_as_written(planned: tuple[object, Plan]) -> None:
    fw, plan = planned
    de = fw.in_language("de")  # type: ignore[attr-defined]
    stored = plan_to_dict(plan)
    assert stored["initiatives"][0]["reason"] == plan.initiatives[0].reason  # the JSON keeps the English sentence
    back = plan_from_dict(stored, plan.request)
    with use_locale("de"):
        assert phrases.reason(back.initiatives[0], de) == phrases.reason(plan.initiatives[0], de)
        assert " steht auf " in phrases.reason(back.initiatives[0], de)
    for item in stored["initiatives"]:
        del item["reason_phrase"]  # as saved before phrases existed
    old = plan_from_dict(stored, plan.request)
    with use_locale("de"):
        assert phrases.reason(old.initiatives[0], de) == plan.initiatives[0].reason


def test_an_empty_plan_explains_itself_in_german() -> None:
    fw = load_builtin("four-competencies")
    result = score(demo_responses(fw), ScoringOptions(bootstrap=0))
    plan = make_plan(fw, result, PlanRequest(budget=0.0, time_limit=5))
    assert plan.status == "empty"
    assert plan.explanation_phrases
    empty = dataclasses.replace(plan_from_dict(plan_to_dict(plan), plan.request))
    with use_locale("de"):
        german = phrases.explanation(empty, fw.in_language("de"))
    assert german
    assert german != plan.explanation
    assert all("budget" not in s.split(" ")[:3] for s in german)
    assert any("Budget pro Periode" in s or "Keine Initiative" in s for s in german)


def test_an_infeasible_plan_explains_itself_in_german() -> None:
    fw = load_builtin("four-competencies")
    result = score(demo_responses(fw), ScoringOptions(bootstrap=0))
    de = fw.in_language("de")
    unknown = make_plan(fw, result, PlanRequest(must=frozenset({"nope"}), time_limit=5))
    assert unknown.status == "infeasible"
    blocked = make_plan(fw, result, PlanRequest(budget=0.0, must=frozenset({fw.actions[0].key}), time_limit=5))
    assert blocked.status == "infeasible"
    with use_locale("de"):
        said = phrases.explanation(unknown, de) + phrases.explanation(blocked, de)
    assert any("Pflicht-Initiative „nope“" in s for s in said)
    assert any(s == "Kein Plan erfüllt alle Bedingungen zugleich." for s in said)
    # The must-do is named by the catalog's German title; nothing reads as the English sentences did.
    assert any(de.text(fw.actions[0].title) in s for s in said)
    english = set(unknown.explanation) | set(blocked.explanation)
    assert not english & set(said)
    assert all("must-do" not in s for s in said)


def test_the_time_limit_in_an_explanation_is_a_number_written_in_the_readers_language() -> None:
    # The explanation of a plan the solver could not finish names the time limit; it is kept as a number (stored with
    # the plan as one), so that a German reader reads "0,5 s" and an English one "0.5 s".
    from cxmaturity.i18n.phrase import Num, from_data, phrase, render, to_data
    from cxmaturity.planning.optimizer import _seconds

    message = "Raise the time limit (now %(seconds)s s) or simplify the request (fewer must-do or locked initiatives)."
    for limit, english, german in ((0.5, "0.5 s", "0,5 s"), (2.0, "2 s", "2 s"), (0.25, "0.25 s", "0,25 s")):
        stored = from_data(to_data(phrase(message, seconds=_seconds(limit))))
        assert isinstance(stored, type(phrase(message)))
        assert isinstance(dict(stored.params)["seconds"], Num)
        with use_locale("de"):
            assert f"(jetzt {german})" in render(stored)
        assert f"(now {english})" in render(stored)

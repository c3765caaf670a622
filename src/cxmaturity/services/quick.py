"""The public quick evaluation: one person answers one question per competency of a built-in framework and sees
their stage per competency with the uncertainty such a short form has. Nothing is stored here; a facilitator's
published quick link (services/quick_links.py) stores what its respondents answer, checked and scored by the same
functions."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from functools import cache

import numpy as np

from cxmaturity.frameworks import DONT_KNOW, NOT_APPLICABLE, Framework, FrameworkError, builtin_ids, load_builtin
from cxmaturity.frameworks.quick import QuickForm, quick_form
from cxmaturity.i18n import N_
from cxmaturity.i18n import gettext as _
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE
from cxmaturity.scoring.result import Result
from cxmaturity.services.errors import Invalid, NotFound

#: Posterior draws behind the intervals, seeded so that the same answers always show the same result.
DRAWS = 1000


@dataclass(frozen=True)
class QuickResult:
    form: QuickForm
    result: Result
    answers: dict[str, str]


def form(framework_id: str) -> QuickForm:
    """Return the quick form of a built-in framework; NotFound for any other id."""
    if framework_id not in builtin_ids():
        raise NotFound(_("no such framework"))
    try:
        return quick_form(load_builtin(framework_id))
    except FrameworkError:  # a built-in framework always has one (tests/frameworks/test_quick.py)
        raise NotFound(_("this framework has no quick evaluation")) from None


def source_of(framework_id: str) -> str | None:
    """Return the id of the built-in framework whose quick form has ``framework_id``; None for any other id."""
    return _quick_ids().get(framework_id)


@cache
def _quick_ids() -> dict[str, str]:
    """Map each built-in framework's quick form id to the framework's id (built once: they ship with the package)."""
    found = {}
    for fid in builtin_ids():
        with suppress(FrameworkError):  # every built-in has one (tests/frameworks/test_quick.py)
            found[quick_form(load_builtin(fid)).framework.id] = fid
    return found


def form_of(fw: Framework) -> QuickForm:
    """Return the quick form whose framework is ``fw`` (an assessment's snapshot of a quick form): the built-in
    framework it was taken from as its source; NotFound when ``fw`` is no quick form."""
    source = source_of(fw.id)
    if source is None:
        raise NotFound(N_("this assessment is not a quick evaluation"))
    return QuickForm(fw, load_builtin(source), ())


def evaluate(framework_id: str, answers: dict[str, str]) -> QuickResult:
    """Score one person's answers (indicator key -> stage key, dk or na); Invalid names a question left unanswered
    or an answer that is not one of its options, and a form with no usable answer at all."""
    return evaluate_form(form(framework_id), answers)


def evaluate_form(quick: QuickForm, answers: dict[str, str]) -> QuickResult:
    """Score one person's answers to ``quick`` (see ``evaluate``)."""
    fw = quick.framework
    row = np.full((1, len(fw.indicator_keys)), MISSING, dtype=np.int16)
    missing = []
    for i, (comp, indicator) in enumerate(fw.indicators):
        given = answers.get(indicator.key, "")
        keys = fw.answer_keys(indicator)
        if given == DONT_KNOW:
            row[0, i] = DONT_KNOW_CODE
        elif given == NOT_APPLICABLE:
            row[0, i] = NOT_APPLICABLE_CODE
        elif given in keys:
            row[0, i] = keys.index(given)
        elif given:
            raise Invalid(_("choose one of the options"), field=indicator.key)
        else:
            missing.append(fw.text(comp.name))
    if missing:
        raise Invalid(
            _("answer every question (don't know and not applicable are answers too)"),
            field="answers",
            details=[_("no answer for %(name)s") % {"name": name} for name in missing],
        )
    if (row < 0).all():
        raise Invalid(_("every answer is don't know or not applicable: there is nothing to place"), field="answers")
    responses = ResponseMatrix(fw, ("you",), ("",), row, np.full(row.shape, np.nan))
    result = score(responses, ScoringOptions(bootstrap=DRAWS, min_group_size=1))
    kept = {ind.key: answers[ind.key] for _, ind in fw.indicators}
    return QuickResult(quick, result, kept)

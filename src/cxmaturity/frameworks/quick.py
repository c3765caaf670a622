"""The quick evaluation of a framework: one question per competency, for a first look in about three minutes.

Each competency is asked its rubric (the question whose options describe the stages), since a single rubric answer
places the competency on every stage while a single statement evidences one stage only. A competency without a
rubric cannot be placed by one question and is left out, named in ``QuickForm.left_out``. The form is a framework of
its own (the same stages, scales, tracks and scoring rule, one indicator per competency), so the usual scoring gives
its result, and with one person and one question per competency its intervals are as wide as they should be.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxmaturity.frameworks.lint import estimated_minutes
from cxmaturity.frameworks.loading import parse_framework
from cxmaturity.frameworks.model import Framework, Rubric
from cxmaturity.frameworks.problems import FrameworkError, Problem

#: A quick evaluation asks at most this many questions (about five minutes at 40 seconds a rubric).
MAX_QUESTIONS = 12
#: Added to the framework's id to make the quick form's.
QUICK_SUFFIX = "-quick"


@dataclass(frozen=True)
class QuickForm:
    #: The framework of the quick form: one rubric per competency that has one.
    framework: Framework
    #: The full framework it was taken from.
    source: Framework
    #: Keys of the competencies without a rubric, which the quick form cannot place.
    left_out: tuple[str, ...]

    @property
    def minutes(self) -> float:
        return estimated_minutes(self.framework)


def quick_form(fw: Framework) -> QuickForm:
    """Return the quick form of ``fw``; raise FrameworkError when it would ask nothing or more than 12 questions."""
    kept = []
    left_out = []
    for comp in fw.competencies:
        rubric = next((i for i in comp.indicators if isinstance(i, Rubric)), None)
        if rubric is None:
            left_out.append(comp.key)
        else:
            kept.append(comp.model_copy(update={"indicators": (rubric,)}))
    if not kept:
        raise FrameworkError(
            [Problem(("competencies",), f"{fw.id} has no rubric in any competency: a quick evaluation needs one")]
        )
    if len(kept) > MAX_QUESTIONS:
        raise FrameworkError(
            [
                Problem(
                    ("competencies",),
                    f"{fw.id} has {len(kept)} competencies with a rubric; a quick evaluation asks one question per "
                    f"competency and at most {MAX_QUESTIONS}",
                )
            ]
        )
    keys = {c.key for c in kept}
    indicators = {c.indicators[0].key for c in kept}
    data = fw.model_dump(mode="python", exclude_none=True)
    # An id of its own, so that a quick result is never pooled, benchmarked or compared as a full one.
    data["id"] = f"{fw.id[: 64 - len(QUICK_SUFFIX)]}{QUICK_SUFFIX}"
    data["competencies"] = [c.model_dump(mode="python", exclude_none=True) for c in kept]
    data["tracks"] = [
        {**t, "competencies": [k for k in t["competencies"] if k in keys]}
        for t in data.get("tracks", [])
        if any(k in keys for k in t["competencies"])
    ]
    actions = [a for a in data.get("actions", []) if a["competency"] in keys]
    kept_actions = {a["key"] for a in actions}
    data["actions"] = [
        {
            **a,
            "requires": [r for r in a.get("requires", []) if r in kept_actions],
            "indicators": [i for i in a.get("indicators", []) if i in indicators],
        }
        for a in actions
    ]
    # Validated afresh (never a copy that keeps the full framework's cached indicator lists).
    return QuickForm(parse_framework(data), fw, tuple(left_out))

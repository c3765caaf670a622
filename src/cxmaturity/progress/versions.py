"""What changed between two versions of a framework, and therefore what a comparison can and cannot compare.

Indicators are matched by key. A matched indicator may have changed in **wording** (its text, its options' labels or a
rubric's descriptions) or in **substance** (its answer scale's options or values, the stage it evidences, its
competency, or statement ↔ rubric). Wording changes are flagged but the answers still mean the same thing, so the
indicator is still compared; a substance change makes its answers incomparable.

A competency is compared only when it exists in both versions and at least ``min_share`` (default 75%) of its
indicators (those of either version) are in both versions without a substance change; otherwise its scores are on
different questionnaires and it is "not comparable". When the stages or the stage threshold change, scores are on
different scales and nothing is comparable; the overall score is compared only when every competency is, the set of
competencies is the same and the overall rule (and for "mean" the weights) did not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cxmaturity.frameworks.model import Framework, Rubric, Statement
from cxmaturity.i18n.catalogs import N_
from cxmaturity.i18n.phrase import Phrase, phrase

IndicatorStatus = Literal["unchanged", "changed", "added", "removed"]
#: Changes that keep an indicator's answers comparable (flagged only).
WORDING = ("text", "options")
#: Changes that make an indicator's answers incomparable.
SUBSTANCE = ("scale", "stage", "competency", "kind")
DEFAULT_MIN_SHARE = 0.75

CHANGE_WORDS = {
    "text": N_("text reworded"),
    "options": N_("answer options reworded"),
    "scale": N_("answer scale changed"),
    "stage": N_("evidences another stage"),
    "competency": N_("moved to another competency"),
    "kind": N_("statement and rubric swapped"),
}


@dataclass(frozen=True)
class IndicatorDiff:
    key: str
    #: The competency in the earlier / later version (None where it is not in that version).
    competency_before: str | None
    competency_after: str | None
    status: IndicatorStatus
    #: What changed, a subset of WORDING + SUBSTANCE, in that order.
    changes: tuple[str, ...]

    @property
    def comparable(self) -> bool:
        """In both versions, without a change of substance."""
        return self.status in ("unchanged", "changed") and not any(c in SUBSTANCE for c in self.changes)


@dataclass(frozen=True)
class CompetencyScope:
    """How much of a competency the two versions share."""

    key: str
    comparable: bool
    #: Indicators of either version, and those of them in both versions without a substance change.
    indicators: int
    shared: int
    #: Why it is not comparable (empty when it is).
    reason: str
    #: ``reason`` as a phrase, for each reader's language (None when comparable).
    reason_phrase: Phrase | None = None


@dataclass(frozen=True)
class FrameworkDiff:
    framework: str
    before_version: str
    after_version: str
    stages_changed: bool
    #: Scoring rules that changed, as phrases ("threshold 0.7 → 0.75").
    rules_changed: tuple[str, ...]
    indicators: tuple[IndicatorDiff, ...]
    competencies: tuple[CompetencyScope, ...]
    competencies_added: tuple[str, ...]
    competencies_removed: tuple[str, ...]
    overall_comparable: bool
    overall_reason: str
    #: ``rules_changed`` and ``overall_reason`` as phrases, for each reader's language.
    rules_phrases: tuple[Phrase, ...] = ()
    overall_reason_phrase: Phrase | None = None

    @property
    def identical(self) -> bool:
        """Nothing that scoring or a comparison depends on changed."""
        return (
            not self.stages_changed
            and not self.rules_changed
            and not self.competencies_added
            and not self.competencies_removed
            and all(i.status == "unchanged" for i in self.indicators)
        )

    def scope(self, competency: str) -> CompetencyScope | None:
        return next((c for c in self.competencies if c.key == competency), None)

    def indicator(self, key: str) -> IndicatorDiff | None:
        return next((i for i in self.indicators if i.key == key), None)

    @property
    def changed(self) -> tuple[IndicatorDiff, ...]:
        return tuple(i for i in self.indicators if i.status == "changed")

    @property
    def added(self) -> tuple[IndicatorDiff, ...]:
        return tuple(i for i in self.indicators if i.status == "added")

    @property
    def removed(self) -> tuple[IndicatorDiff, ...]:
        return tuple(i for i in self.indicators if i.status == "removed")


def _scale(fw: Framework, ind: Statement) -> tuple[tuple[tuple[str, float], ...], tuple[object, ...]]:
    """Return a statement's scale as (option key, value) pairs and its option labels."""
    options = fw.scales[ind.scale].options
    return tuple((o.key, o.value) for o in options), tuple(o.label for o in options)


def indicator_changes(
    before_fw: Framework, before: Statement | Rubric, after_fw: Framework, after: Statement | Rubric
) -> tuple[str, ...]:
    """Return what changed in one indicator (matched by key) between two framework versions."""
    found: set[str] = set()
    if before.text != after.text:
        found.add("text")
    if isinstance(before, Statement) and isinstance(after, Statement):
        old_values, old_labels = _scale(before_fw, before)
        new_values, new_labels = _scale(after_fw, after)
        if old_values != new_values:
            found.add("scale")
        elif old_labels != new_labels:
            found.add("options")
        if before.stage != after.stage:
            found.add("stage")
    elif isinstance(before, Rubric) and isinstance(after, Rubric):
        if tuple(o.stage for o in before.options) != tuple(o.stage for o in after.options):
            found.add("scale")
        elif tuple(o.text for o in before.options) != tuple(o.text for o in after.options):
            found.add("options")
    else:
        found.add("kind")
    return tuple(c for c in (*WORDING, *SUBSTANCE) if c in found)


def diff(before: Framework, after: Framework, min_share: float = DEFAULT_MIN_SHARE) -> FrameworkDiff:
    """Return what changed from ``before`` to ``after`` (two versions of one framework)."""
    if before.id != after.id:
        raise ValueError(f"different frameworks: {before.id} and {after.id}")
    stages_changed = before.stage_keys != after.stage_keys
    rules: list[Phrase] = []
    if before.scoring.threshold != after.scoring.threshold:
        rules.append(
            phrase(
                N_("stage threshold %(before)s → %(after)s"),
                before=f"{before.scoring.threshold:g}",
                after=f"{after.scoring.threshold:g}",
            )
        )
    if before.scoring.overall != after.scoring.overall:
        rules.append(
            phrase(
                N_("overall rule %(before)s → %(after)s"), before=before.scoring.overall, after=after.scoring.overall
            )
        )
    threshold_changed = before.scoring.threshold != after.scoring.threshold

    old = {ind.key: (comp.key, ind) for comp, ind in before.indicators}
    new = {ind.key: (comp.key, ind) for comp, ind in after.indicators}
    indicators: list[IndicatorDiff] = []
    for key in [*new, *(k for k in old if k not in new)]:
        if key not in old:
            indicators.append(IndicatorDiff(key, None, new[key][0], "added", ()))
        elif key not in new:
            indicators.append(IndicatorDiff(key, old[key][0], None, "removed", ()))
        else:
            changes = indicator_changes(before, old[key][1], after, new[key][1])
            if old[key][0] != new[key][0]:
                changes = tuple(c for c in (*WORDING, *SUBSTANCE) if c in {*changes, "competency"})
            indicators.append(
                IndicatorDiff(key, old[key][0], new[key][0], "changed" if changes else "unchanged", changes)
            )

    before_keys = [c.key for c in before.competencies]
    after_keys = [c.key for c in after.competencies]
    added = tuple(k for k in after_keys if k not in before_keys)
    removed = tuple(k for k in before_keys if k not in after_keys)
    scopes = []
    for key in [*after_keys, *removed]:
        mine = [i for i in indicators if key in (i.competency_before, i.competency_after)]
        shared = sum(1 for i in mine if i.comparable and i.competency_before == i.competency_after == key)
        reason: Phrase | None = None
        if stages_changed:
            reason = phrase(N_("the framework's stages changed, so scores are on different scales"))
        elif threshold_changed:
            reason = phrase(N_("the stage threshold changed, so scores are computed differently"))
        elif key in added:
            reason = phrase(N_("new in this version"))
        elif key in removed:
            reason = phrase(N_("not in the later version"))
        elif shared < min_share * len(mine):
            reason = phrase(
                N_("only %(shared)s of its %(num)s indicators are unchanged in substance"), shared=shared, num=len(mine)
            )
        text = str(reason) if reason else ""
        scopes.append(CompetencyScope(key, not text, len(mine), shared, text, reason))

    overall: Phrase | None = None
    if stages_changed or threshold_changed:
        overall = scopes[0].reason_phrase if scopes else phrase(N_("nothing to compare"))
    elif added or removed:
        overall = phrase(N_("the framework's competencies changed"))
    elif before.scoring.overall != after.scoring.overall:
        overall = phrase(N_("the rule combining the competencies changed"))
    elif before.scoring.overall == "mean" and [c.weight for c in before.competencies] != [
        after.competency(c.key).weight for c in before.competencies
    ]:
        overall = phrase(N_("the competencies' weights changed"))
    elif not all(s.comparable for s in scopes):
        overall = phrase(N_("not every competency is comparable"))
    overall_reason = str(overall) if overall else ""
    return FrameworkDiff(
        framework=before.id,
        before_version=before.version,
        after_version=after.version,
        stages_changed=stages_changed,
        rules_changed=tuple(str(r) for r in rules),
        indicators=tuple(indicators),
        competencies=tuple(scopes),
        competencies_added=added,
        competencies_removed=removed,
        overall_comparable=not overall_reason,
        overall_reason=overall_reason,
        rules_phrases=tuple(rules),
        overall_reason_phrase=overall,
    )

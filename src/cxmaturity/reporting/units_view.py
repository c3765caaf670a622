"""View models of units: the organization's tree, a campaign's roll-up side by side and over time, and the same
roll-up as the executive report and slides show it (``units_summary``).

The campaign page, its JSON (page and API) and a unit leader's page render from ``CampaignView``; its fields are
pinned by tests/units/test_units_view.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Phrase, Text, english, phrase
from cxmaturity.reporting.units_summary import UnitCompetency, UnitsSummary
from cxmaturity.reporting.units_summary import UnitRow as SummaryRow
from cxmaturity.scoring.display import score_text
from cxmaturity.services.campaigns import CampaignRollUp
from cxmaturity.services.units import UnitsOverview
from cxmaturity.units.rollup import IntervalWork, UnitIntervals
from cxmaturity.units.suppression import PROTECTS_SIBLING, TOO_FEW, UNDER_WITHHELD

# --------------------------------------------------------------------------------------------------------------------
# The tree


@dataclass(frozen=True)
class TreeRow:
    id: int
    name: str
    depth: int
    path: str
    key: str
    leaders: tuple[str, ...]
    leader_ids: tuple[tuple[int, str], ...]
    #: Why the unit cannot be deleted (what it keeps: units below, campaigns, invitations; empty when it can).
    keeps: tuple[Phrase, ...]


@dataclass(frozen=True)
class TreeView:
    rows: tuple[TreeRow, ...]
    #: (id, path) of every unit, for the parent and campaign choices.
    choices: tuple[tuple[int, str], ...]


def tree_view(found: UnitsOverview) -> TreeView:
    rows = []
    for unit, depth in found.tree.walk():
        node = found.tree.nodes[unit]
        held: list[Phrase] = []
        # Phrases, written in the page's language when shown (i18n/phrase.py); "1" apart, as every language of the
        # catalogs has one form for one and another for more.
        if children := len(found.tree.children(unit)):
            held.append(
                phrase(N_("1 unit below")) if children == 1 else phrase(N_("%(count)d units below"), count=children)
            )
        if campaigns := found.campaigns.get(unit, 0):
            held.append(
                phrase(N_("1 campaign")) if campaigns == 1 else phrase(N_("%(count)d campaigns"), count=campaigns)
            )
        if invitations := found.invitations.get(unit, 0):
            held.append(
                phrase(N_("1 invitation"))
                if invitations == 1
                else phrase(N_("%(count)d invitations"), count=invitations)
            )
        leaders = found.leaders.get(unit, [])
        rows.append(
            TreeRow(
                id=unit,
                name=node.name,
                depth=depth,
                path=found.tree.path(unit),
                key=node.key or "",
                leaders=tuple(leader.name or leader.email for leader in leaders),
                leader_ids=tuple((leader.user_id, leader.email) for leader in leaders),
                keeps=tuple(held),
            )
        )
    return TreeView(tuple(rows), tuple((r.id, r.path) for r in rows))


# --------------------------------------------------------------------------------------------------------------------
# A campaign's roll-up


def withheld_text(reason: str, min_size: int) -> Phrase:
    """Return why a unit's results are withheld, in words (a phrase, written in the language it is shown in)."""
    if reason == TOO_FEW:
        return phrase(N_("withheld: fewer than %(size)d respondents who count towards the minimum"), size=min_size)
    if reason == PROTECTS_SIBLING:
        return phrase(N_("withheld so that a smaller unit beside it cannot be worked out by subtraction"))
    if reason == UNDER_WITHHELD:
        return phrase(N_("withheld with the unit it belongs to"))
    return phrase(N_("withheld"))


@dataclass(frozen=True)
class Cell:
    competency: str
    stage: str
    score: str


@dataclass(frozen=True)
class UnitRow:
    #: The unit's id; None when names are hidden (an id would let anyone look the name up).
    unit: int | None
    label: str
    depth: int
    respondents: int | None
    stage: str
    score: str
    cells: tuple[Cell, ...]
    withheld: Text
    invited: int
    completed: int
    rate: str
    goal: str
    #: "met", "below" or "" (no goal, or nobody invited yet).
    goal_status: str


@dataclass(frozen=True)
class WaveRow:
    label: str
    depth: int
    #: The unit's overall score in each wave ("-" withheld or not in that wave).
    scores: tuple[str, ...]


@dataclass(frozen=True)
class CampaignView:
    assessment_id: int
    title: str
    min_size: int
    names_hidden: bool
    competencies: tuple[tuple[str, str], ...]
    rows: tuple[UnitRow, ...]
    waves: tuple[str, ...]
    over_time: tuple[WaveRow, ...]
    #: The unit the view is limited to (a leader's view), as its label; "" for the whole campaign.
    within: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessment_id": self.assessment_id,
            "title": self.title,
            "min_group_size": self.min_size,
            "names_hidden": self.names_hidden,
            "within": self.within or None,
            "competencies": [{"key": k, "name": n} for k, n in self.competencies],
            "units": [
                {
                    "unit_id": r.unit,
                    "label": r.label,
                    "depth": r.depth,
                    "respondents": r.respondents,
                    "overall": {"stage": r.stage or None, "score": r.score if r.score != "-" else None},
                    "competencies": [
                        {"key": c.competency, "stage": c.stage or None, "score": c.score if c.score != "-" else None}
                        for c in r.cells
                    ],
                    "withheld": english(r.withheld) or None,
                    "response_rate": {
                        "invited": r.invited,
                        "completed": r.completed,
                        "rate": r.rate or None,
                        "goal": r.goal or None,
                        "goal_status": r.goal_status or None,
                    },
                }
                for r in self.rows
            ],
            "over_time": {
                "waves": list(self.waves),
                "units": [{"label": w.label, "scores": list(w.scores)} for w in self.over_time],
            },
        }


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def campaign_view(found: CampaignRollUp, language: str | None = None) -> CampaignView:
    """The campaign's roll-up, its stages and competencies named in ``language`` where the framework offers it (a
    page's language), else in the framework's own (the JSON API)."""
    fw = found.framework.in_language(language)
    stage_names = {s.key: fw.text(s.name) for s in fw.stages}
    min_size = found.rollup.release.min_size
    rows = []
    # Depths within the view's own tree: a leader's unit is the top of their view.
    depth_of = dict(found.tree.walk())
    order = list(depth_of)
    for unit in order:
        rolled = found.rollup.unit(unit)
        rate = found.rates[unit]
        rows.append(
            UnitRow(
                unit=None if found.names_hidden else unit,
                label=found.labels[unit],
                depth=depth_of[unit],
                respondents=rolled.respondents,
                stage=stage_names.get(rolled.overall_stage or "", ""),
                score=score_text(rolled.overall_score),
                cells=tuple(
                    Cell(c.key, stage_names.get(c.stage or "", ""), score_text(c.score)) for c in rolled.competencies
                ),
                withheld=withheld_text(rolled.withheld, min_size) if rolled.withheld else "",
                invited=rate.invited,
                completed=rate.completed,
                rate=_percent(rate.rate),
                goal=f"{rate.goal}%" if rate.goal is not None else "",
                goal_status="" if rate.met is None else "met" if rate.met else "below",
            )
        )
    waves = tuple(w.assessment.title for w in found.waves)
    over_time = []
    for unit in order:
        scores = []
        for wave in found.waves:
            match = next((u for u in wave.rollup.units if u.unit == unit), None)
            scores.append(score_text(match.overall_score) if match is not None else "-")
        over_time.append(WaveRow(found.labels[unit], depth_of[unit], tuple(scores)))
    return CampaignView(
        assessment_id=found.assessment.id,
        title=found.assessment.title,
        min_size=min_size,
        names_hidden=found.names_hidden,
        competencies=tuple((c.key, fw.text(c.name)) for c in fw.competencies),
        rows=tuple(rows),
        waves=waves,
        over_time=tuple(over_time),
        within=found.labels[found.within] if found.within is not None else "",
    )


# --------------------------------------------------------------------------------------------------------------------
# A campaign's units in the executive report and slides


def units_summary(
    found: CampaignRollUp,
    language: str | None = None,
    intervals: Mapping[int, UnitIntervals] | None = None,
    confidence: float = 0.9,
) -> UnitsSummary:
    """Return the campaign's units as the executive documents show them: the roll-up the campaign page shows, as its
    viewers see it (``found`` is built for a shared view, so names are hidden when the campaign hides them).

    A report travels further than the page: a withheld unit gets no row at all (not even its label), and the notes
    say how many were withheld and why. What is withheld is the roll-up's decision (``units.suppression``), never
    this function's. Stage names are in the report's ``language`` when the framework has it. ``intervals``
    (``services.campaigns.unit_intervals``, at ``confidence``) adds each shown unit's overall and per-competency
    intervals.
    """
    summary, units, keys = _summary(found, language, confidence)
    return _with_intervals(summary, units, keys, intervals or {})


@dataclass(frozen=True)
class PendingUnits:
    """A units summary whose intervals are still to be scored: pure data, so that the scorings (one per unit, most of
    the time of a report over many units) can run in a report job's child process, which says how far it got."""

    summary: UnitsSummary
    #: The unit of each row of ``summary``, and the competency keys in the order of each row's competencies.
    units: tuple[int, ...]
    keys: tuple[str, ...]
    work: IntervalWork

    @property
    def count(self) -> int:
        """How many units are scored (one step each)."""
        return len(self.work.shown)

    def complete(self, progress: Callable[[int, int], None] | None = None) -> UnitsSummary:
        """The summary with its intervals: ``units_summary`` of the same roll-up; ``progress(done, total)`` per unit."""
        return _with_intervals(self.summary, self.units, self.keys, self.work.compute(progress))


def pending_units(
    found: CampaignRollUp, work: IntervalWork, language: str | None = None, confidence: float = 0.9
) -> PendingUnits:
    """``units_summary`` without its intervals yet, and what scores them (``services.campaigns.interval_work``)."""
    summary, units, keys = _summary(found, language, confidence)
    return PendingUnits(summary, units, keys, work)


def _summary(
    found: CampaignRollUp, language: str | None, confidence: float
) -> tuple[UnitsSummary, tuple[int, ...], tuple[str, ...]]:
    """The summary without intervals, the unit of each of its rows, and the competency keys in row order."""
    fw = found.framework.in_language(language)
    stage_names = {s.key: fw.text(s.name) for s in fw.stages}
    min_size = found.rollup.release.min_size
    rows = []
    units = []
    withheld: dict[str, int] = {}
    for unit, depth in found.tree.walk():
        rolled = found.rollup.unit(unit)
        if rolled.withheld or rolled.respondents is None:
            reason = rolled.withheld or ""
            withheld[reason] = withheld.get(reason, 0) + 1
            continue
        units.append(unit)
        rows.append(
            SummaryRow(
                name=found.labels[unit],
                depth=depth,
                respondents=rolled.respondents,
                stage=stage_names.get(rolled.overall_stage or "") or None,
                score=rolled.overall_score,
                competencies=tuple(
                    UnitCompetency(
                        name=fw.text(comp.name),
                        stage=stage_names.get(c.stage or "") or None,
                        score=c.score,
                    )
                    for comp, c in zip(fw.competencies, rolled.competencies, strict=True)
                ),
            )
        )
    notes: list[Text] = [
        phrase(N_("1 unit not listed, %(reason)s."), reason=withheld_text(reason, min_size))
        if n == 1
        else phrase(N_("%(count)d units not listed, %(reason)s."), count=n, reason=withheld_text(reason, min_size))
        for reason, n in sorted(withheld.items())
    ]
    if withheld:
        notes.append(phrase(N_("The minimum group size is %(size)d respondents."), size=min_size))
    summary = UnitsSummary(
        found.assessment.title,
        tuple(rows),
        competencies=tuple(fw.text(c.name) for c in fw.competencies),
        confidence=confidence,
        names_hidden=found.names_hidden,
        notes=tuple(notes),
    )
    return summary, tuple(units), tuple(c.key for c in fw.competencies)


def _with_intervals(
    summary: UnitsSummary, units: tuple[int, ...], keys: tuple[str, ...], intervals: Mapping[int, UnitIntervals]
) -> UnitsSummary:
    rows = []
    for row, unit in zip(summary.rows, units, strict=True):
        spread = intervals.get(unit)
        if spread is None:
            rows.append(row)
            continue
        by_key = dict(spread.competencies)
        competencies = tuple(
            replace(c, interval=by_key.get(key)) for c, key in zip(row.competencies, keys, strict=True)
        )
        rows.append(replace(row, interval=spread.overall, competencies=competencies))
    return replace(summary, rows=tuple(rows))

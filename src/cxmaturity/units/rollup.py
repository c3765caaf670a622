"""A campaign's results rolled up the unit tree: every shown unit scored over the respondents of its subtree.

One tally (``scoring.rules.tally``) counts every unit's own respondents at once; a unit's subtree is the sum of its
own tally and its children's, added leaves first, and the stage and score rules then run on all shown units in one
call. The numbers are therefore exactly those the scoring engine gives the same respondents (tested), without
scoring each unit's respondents again (200 units x 30 respondents roll up in milliseconds, bench/bench_units.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxmaturity.frameworks.model import Framework
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.scoring.layout import layout_for
from cxmaturity.scoring.responses import ResponseMatrix
from cxmaturity.scoring.rules import SPECIAL_BINS, overall_score, scores_from_counts, tally
from cxmaturity.units.suppression import Release, release
from cxmaturity.units.tree import Tree


@dataclass(frozen=True)
class UnitScores:
    key: str
    stage: str | None
    score: float | None


@dataclass(frozen=True)
class RolledUnit:
    """One unit of the roll-up. Scores are None when the unit is withheld (``withheld`` says why)."""

    unit: int
    depth: int
    #: Respondents of the subtree with a usable answer (all of them, held and imported included); None when
    #: withheld, since even a count can single someone out once a parent's count is known.
    respondents: int | None
    overall_stage: str | None
    overall_score: float | None
    competencies: tuple[UnitScores, ...]
    withheld: str | None


@dataclass(frozen=True)
class RollUp:
    release: Release
    units: tuple[RolledUnit, ...]

    def unit(self, unit_id: int) -> RolledUnit:
        return next(u for u in self.units if u.unit == unit_id)


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


@dataclass(frozen=True)
class UnitTallies:
    """What a roll-up needs of the answers, per unit of ``order`` (and a last slot for respondents without a unit):
    how many respondents chose each option of each indicator, how many respondents with a usable answer there are,
    and how many of those count towards a size (``ResponseMatrix.counts_for_groups``)."""

    order: tuple[int, ...]
    #: (units + 1, indicators, options)
    options: npt.NDArray[np.float64]
    respondents: npt.NDArray[np.int_]
    counted: npt.NDArray[np.int_]


def tallies(responses: ResponseMatrix, units: Sequence[int | None], tree: Tree) -> UnitTallies:
    """Tally a response matrix by unit; ``units[r]`` is respondent r's unit (None, or a unit outside the tree: none).

    Respondents without a single usable answer count nowhere, as in ``scoring.score``. The database counts the same
    tallies in SQL for a stored campaign (``services.campaigns``), which this function defines.
    """
    if len(units) != responses.size:
        raise ValueError(f"units must name {responses.size} respondents, got {len(units)}")
    layout = layout_for(responses.framework)
    order = tuple(u for u, _ in tree.walk())
    index = {u: n for n, u in enumerate(order)}
    usable = np.asarray((responses.answers >= 0).any(axis=1), dtype=np.bool_)
    member = np.fromiter(
        (index.get(u, len(order)) if u is not None else len(order) for u in units), dtype=np.intp, count=len(units)
    )
    by_unit = tally(responses.answers[usable], layout, member[usable], len(order) + 1)
    return UnitTallies(
        order=order,
        options=by_unit[:, :, SPECIAL_BINS:],
        respondents=np.bincount(member[usable], minlength=len(order) + 1),
        counted=np.bincount(member[responses.counts_for_groups() & usable], minlength=len(order) + 1),
    )


def roll_up(responses: ResponseMatrix, units: Sequence[int | None], tree: Tree, min_size: int) -> RollUp:
    """Roll the answers up ``tree``; ``units[r]`` is respondent r's unit (see ``tallies``)."""
    return roll_up_tallies(responses.framework, tallies(responses, units, tree), tree, min_size)


def roll_up_tallies(fw: Framework, counted: UnitTallies, tree: Tree, min_size: int) -> RollUp:
    """Roll tallies up ``tree``: each unit's subtree is its own tally plus its children's, added leaves first; the
    anonymity rule (``suppression.release``) decides what is shown, and the stage and score rules run on every shown
    unit at once."""
    layout = layout_for(fw)
    order = list(counted.order)
    depth = dict(tree.walk())
    index = {u: n for n, u in enumerate(order)}
    subtree = counted.options[:-1].copy()
    people = counted.respondents[:-1].copy()
    for unit in reversed(order):
        parent = tree.parent(unit)
        if parent is not None:
            subtree[index[parent]] += subtree[index[unit]]
            people[index[parent]] += people[index[unit]]
    decided = release(tree, {u: int(counted.counted[index[u]]) for u in order}, int(counted.counted[-1]), min_size)
    shown = [u for u in order if u in decided.shown]
    rows = np.array([index[u] for u in shown], dtype=np.intp)
    scored = scores_from_counts(subtree[rows], layout)
    overall = overall_score(scored.score, layout)
    row_of = {u: n for n, u in enumerate(shown)}
    rolled = []
    for unit in order:
        if unit not in row_of:
            rolled.append(RolledUnit(unit, depth[unit], None, None, None, (), decided.withheld[unit]))
            continue
        row = row_of[unit]
        score = float(overall[row])
        rolled.append(
            RolledUnit(
                unit=unit,
                depth=depth[unit],
                respondents=int(people[index[unit]]),
                overall_stage=None if math.isnan(score) else fw.stage_keys[math.floor(score + 1e-12) - 1],
                overall_score=_num(score),
                competencies=tuple(
                    UnitScores(
                        comp.key,
                        fw.stage_keys[int(scored.stage[row, c])] if scored.assessed[row, c] else None,
                        _num(float(scored.score[row, c])),
                    )
                    for c, comp in enumerate(fw.competencies)
                ),
                withheld=None,
            )
        )
    return RollUp(decided, tuple(rolled))


@dataclass(frozen=True)
class UnitIntervals:
    """A shown unit's intervals at the scoring options' confidence: overall, and per competency key (None: not
    assessed)."""

    overall: tuple[float, float] | None
    competencies: tuple[tuple[str, tuple[float, float] | None], ...]


def intervals(
    responses: ResponseMatrix,
    units: Sequence[int | None],
    tree: Tree,
    shown: Iterable[int],
    options: ScoringOptions,
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, UnitIntervals]:
    """Return the intervals of each of the ``shown`` units: its subtree's respondents scored by the scoring engine,
    posterior draws and all, as an assessment of their own would be (``units[r]`` as in ``tallies``).

    Only for units the roll-up shows: a withheld unit's interval would tell as much as its score. The engine's draws
    need each respondent's answers, which the tallies do not keep, so this costs one scoring per unit: the executive
    documents ask for it, the roll-up pages do not. ``progress(done, total)`` is called after each unit: with 200
    units this is most of a report's time, which a report job shows as it goes.
    """
    if len(units) != responses.size:
        raise ValueError(f"units must name {responses.size} respondents, got {len(units)}")
    member = np.array([-1 if u is None else u for u in units], dtype=np.int64)
    found = {}
    wanted = list(shown)
    for done, unit in enumerate(wanted, start=1):
        rows = np.flatnonzero(np.isin(member, tree.subtree(unit)))
        part = ResponseMatrix(
            framework=responses.framework,
            respondents=tuple(responses.respondents[r] for r in rows),
            groups=tuple("" for _ in rows),
            answers=responses.answers[rows],
            importance=responses.importance[rows],
            provenance=tuple(responses.provenance[r] for r in rows) if responses.provenance else (),
        )
        result = score(part, options)
        found[unit] = UnitIntervals(result.overall.interval, tuple((c.key, c.interval) for c in result.competencies))
        if progress is not None:
            progress(done, len(wanted))
    return found


@dataclass(frozen=True)
class IntervalWork:
    """What ``intervals`` needs, read from the database once: pure data (it pickles), so that the scorings, one per
    unit and most of the time of a report over many units, can run elsewhere (a report job's child process) and say
    how far they got."""

    responses: ResponseMatrix
    #: The unit of each respondent of ``responses`` (``units`` of ``intervals``).
    members: tuple[int | None, ...]
    tree: Tree
    shown: tuple[int, ...]
    options: ScoringOptions

    def compute(self, progress: Callable[[int, int], None] | None = None) -> dict[int, UnitIntervals]:
        return intervals(self.responses, self.members, self.tree, self.shown, self.options, progress)

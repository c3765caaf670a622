"""A campaign's results rolled up the unit tree: every shown unit scored over the respondents of its subtree.

One tally (``scoring.rules.tally``) counts every unit's own respondents at once; a unit's subtree is the sum of its
own tally and its children's, added leaves first, and the stage and score rules then run on all shown units in one
call. The numbers are therefore exactly those the scoring engine gives the same respondents (tested), without
scoring each unit's respondents again (200 units x 30 respondents roll up in milliseconds, bench/bench_units.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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


def roll_up(responses: ResponseMatrix, units: Sequence[int | None], tree: Tree, min_size: int) -> RollUp:
    """Roll the answers up ``tree``; ``units[r]`` is respondent r's unit (None, or a unit outside the tree: none).

    Respondents without a single usable answer count nowhere, as in ``scoring.score``.
    """
    if len(units) != responses.size:
        raise ValueError(f"units must name {responses.size} respondents, got {len(units)}")
    fw = responses.framework
    layout = layout_for(fw)
    order = [u for u, _ in tree.walk()]
    depth = dict(tree.walk())
    index = {u: n for n, u in enumerate(order)}
    usable = np.asarray((responses.answers >= 0).any(axis=1), dtype=np.bool_) if responses.size else np.zeros(0, bool)
    counts = responses.counts_for_groups() & usable
    member = np.fromiter(
        (index.get(u, len(order)) if u is not None else len(order) for u in units), dtype=np.intp, count=len(units)
    )
    answers = responses.answers[usable]
    by_unit = tally(answers, layout, member[usable], len(order) + 1)[:-1]
    subtree = by_unit.copy()
    for unit in reversed(order):
        parent = tree.parent(unit)
        if parent is not None:
            subtree[index[parent]] += subtree[index[unit]]
    counted = np.bincount(member[counts], minlength=len(order) + 1)
    decided = release(tree, {u: int(counted[index[u]]) for u in order}, int(counted[-1]), min_size)
    shown = [u for u in order if u in decided.shown]
    rows = np.array([index[u] for u in shown], dtype=np.intp)
    scored = scores_from_counts(subtree[rows][:, :, SPECIAL_BINS:], layout)
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
                # Any indicator's bins count every respondent of the subtree once.
                respondents=int(subtree[index[unit], 0].sum()),
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

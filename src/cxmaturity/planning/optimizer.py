"""The roadmap optimizer: a team's result + targets + the action catalog + limits → a scheduled, explained plan.

``make_plan(fw, result, request)`` solves a 0-1 mixed-integer program with HiGHS: the plan's value through
``highspy`` (``planning.highs``, which starts from the local search's plan), its linear relaxation and the diagnoses
through ``scipy.optimize.milp``. The formulation, in plain words, is in docs/planning.md; in short:

- ``x[i, t] = 1`` when candidate ``i`` starts in period ``t`` (only starts that let it finish within the horizon
  exist), written cumulatively as ``z[i, t]`` = "started by t" (see ``_solve``). Each candidate starts at most once;
  must-do candidates exactly once; locked ones in their locked period. The whole program and the local search's
  sub-programs carry the start columns ``x`` too, with the per-period limits written over both (``_build``'s
  ``start_columns``: the same relaxation, a tighter bound from HiGHS's root cuts, sub-programs solved faster).
- **Already in place.** A candidate for a stage its competency has passed counts as done (no capacity, nothing waits
  for it) unless the answers on its own indicators say otherwise (``_reached``).
- **Value.** For a competency at stage ``s`` with score ``x`` and target stage ``T``, the step from stage ``t`` to
  ``t + 1`` (``s <= t < T``) is worth its share of the gap ``T - x``: ``s + 1 - x`` for the first step, 1 for each
  later one, so the shares add up to the gap. It is weighted by the competency's priority per point of gap (its
  weight × importance / 3, as in the result's gaps) and by a weakness factor ``1 + (N - x) / (N - 1)`` (N stages) so
  that the weakest competencies come first. Each of that step's candidates (those not on the must-not list) carries
  an equal part. Steps already passed and steps at or beyond the target are worth 0: such candidates are chosen only
  as must-dos, locks or prerequisites of chosen ones.
- **Objective.** Maximize ``sum(value[i] * (1 + EARLY_BONUS * (H - t) / H) * x[i, t])``: a small bonus for starting
  earlier (5% for a start in period 1, nothing in the last period H).
- **Limits.** A candidate running in a period spends ``cost / duration`` of the budget and ``effort / duration`` of
  the capacity in each period it runs; per period the sums stay within the budget and the capacity, and at most
  ``max_concurrent`` candidates run.
- **Order.** A prerequisite (``requires``) finishes before its successor starts; a successor whose prerequisite cannot
  be chosen cannot be chosen. No stage is skipped: a candidate for stage ``t`` of a competency now below ``t`` starts
  only after a candidate for stage ``t - 1`` of that competency has finished (which in turn waited for one of
  ``t - 2``, and so on down to the current stage).
- **First what holds the overall back.** Under the ``weakest`` overall rule, the competencies at the overall stage
  hold it back (``scoring.engine.holding_back``): the overall cannot rise until each of them does. Their step to the
  next stage (with what it needs first) is placed before anything else, each at the earliest start the locks and the
  limits allow (``lead_starts``), and the program optimizes the rest around it. The weakness factor alone cannot do
  this: a competency at 1.98 has a step worth 0.02, and it came last. A target set at or below today's stage is the
  team's choice and is kept: that competency then has no step to lift and no lead.

Infeasible requests are diagnosed by solving again with one family of constraints relaxed at a time; the plan then
says which constraint blocks it and what to relax, never raising. Reasons and explanations name things by their
names, titles and statement texts (``planning.wording``), never by keys. ``start_windows`` says which start periods
an order allows each candidate, for editors that must offer only moves that can be kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from cxmaturity.frameworks.model import Framework, Statement
from cxmaturity.i18n.catalogs import N_
from cxmaturity.i18n.phrase import Items, Num, Param, Phrase, Ref, Score, literal, phrase, plural_phrase
from cxmaturity.planning.model import Candidate, Initiative, PeriodTotals, Plan, PlanRequest
from cxmaturity.planning.wording import competency_name, stage_name
from cxmaturity.scoring.display import score_text
from cxmaturity.scoring.engine import holding_back
from cxmaturity.scoring.responses import IMPORTANCE_NEUTRAL
from cxmaturity.scoring.result import Result

#: Bonus for starting in period 1 (share of the value); it falls linearly to 0 for a start in the last period.
EARLY_BONUS = 0.05
#: A quick win takes at most this many person-months, one period, and works on the competency's current stage.
QUICK_WIN_EFFORT = 1.0
MAX_HORIZON = 40
#: Relative tolerance of the limits (budget, capacity), against rounding in sums of cost / duration.
TOLERANCE = 1e-9
#: Share of the time limit that the linear relaxation may take at most.
SOLVER_SHARE = 0.7
#: The whole program finishes its root node (presolve, relaxation, cuts) in 13 to 40 times as long as the raw linear
#: relaxation on large catalogs (300 actions x 12 periods). When less time than this many relaxations is left, the
#: program is large for its time: ruin and recreate first improves the plan it starts from (``SEED_SHARE``).
ROOT_FACTOR = 30
#: On a large program, the share of the time left after the relaxation that ruin and recreate (``_repack``) spends
#: on the plan the whole program starts from.
SEED_SHARE = 0.2
#: Share of the time left that the whole program leaves for what follows it (keeping the best plan, its reasons).
RESERVE_SHARE = 0.05
#: On a large program, the share of the time left after that which the whole program gets; the local search
#: (``_repack``, ``_improve``) improves its best plan in the rest.
WHOLE_SHARE = 0.7
#: Share of the chosen initiatives that a random neighbourhood of the local search frees (see ``_improve``).
RELEASE_SHARE = 0.25
#: Share of the local search's time given to ruin and recreate (``_repack``) before re-optimizing parts (``_improve``).
REPACK_SHARE = 0.5
#: A gap at or below this counts as optimal.
OPTIMAL_GAP = 1e-4
#: The whole program and the local search's sub-programs get start columns in their per-period limits (``_build``):
#: HiGHS's root cuts then prove a tighter bound, and solve most sub-programs to optimality in a fraction of the time.
START_COLUMNS = True

Family = Literal["budget", "capacity", "concurrency", "prerequisites", "lock-dates", "must"]
Goal = Literal["value", "feasible", "min-budget", "min-capacity", "min-concurrent"]


# --------------------------------------------------------------------------------------------------------------------
# Validation


def validate_request(fw: Framework, result: Result, request: PlanRequest) -> None:
    """Raise ``ValueError`` with a clear message when ``request`` (or ``result``) cannot be planned for ``fw``."""
    if result.framework != fw.id:
        raise ValueError(f"the result is of framework '{result.framework}', not '{fw.id}'")
    scored = {c.key for c in result.competencies}
    for comp in fw.competencies:
        if comp.key not in scored:
            raise ValueError(f"the result has no score for competency '{comp.key}'")
    if not result.scorable:
        raise ValueError("no competency is assessed (no usable answer), so there is no gap to plan for")
    unassessed = set(result.not_assessed)
    competency_of = {a.key: a.competency for a in fw.actions} | {c.key: c.competency for c in request.custom}
    forced = sorted(request.must | {lk.key for lk in request.locks})
    for key in forced:
        if competency_of.get(key) in unassessed:
            raise ValueError(
                f"initiative '{key}' is for competency '{competency_of[key]}', which is not assessed (no usable "
                "answers): it has no stage to plan from"
            )
    if isinstance(request.horizon, bool) or not isinstance(request.horizon, int):
        raise ValueError("horizon must be a whole number of periods")
    if not 1 <= request.horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be between 1 and {MAX_HORIZON} periods, got {request.horizon}")
    if isinstance(request.max_concurrent, bool) or not isinstance(request.max_concurrent, int):
        raise ValueError("max_concurrent must be a whole number")
    if request.max_concurrent < 1:
        raise ValueError(f"max_concurrent must be at least 1, got {request.max_concurrent}")
    for name, limit in (("budget", request.budget), ("capacity", request.capacity)):
        if limit is not None and (not math.isfinite(limit) or limit < 0):
            raise ValueError(f"{name} must be a number of 0 or more, got {limit}")
    if not (math.isfinite(request.time_limit) and request.time_limit > 0):
        raise ValueError(f"time_limit must be more than 0 seconds, got {request.time_limit}")
    if not (math.isfinite(request.mip_gap) and 0 <= request.mip_gap < 1):
        raise ValueError(f"mip_gap must be at least 0 and below 1, got {request.mip_gap}")
    comps = {c.key for c in fw.competencies}
    stages = set(fw.stage_keys)
    for comp_key, stage in request.targets.items():
        if comp_key not in comps:
            raise ValueError(f"target for unknown competency '{comp_key}' (known: {', '.join(sorted(comps))})")
        if stage not in stages:
            raise ValueError(f"unknown target stage '{stage}' for '{comp_key}' (known: {', '.join(fw.stage_keys)})")
    keys = {a.key for a in fw.actions}
    for cand in request.custom:
        if not cand.key or not cand.key.strip():
            raise ValueError("a custom initiative needs a key")
        if cand.key in keys:
            raise ValueError(f"custom initiative key '{cand.key}' is already used")
        keys.add(cand.key)
        if cand.competency not in comps:
            raise ValueError(f"custom initiative '{cand.key}': unknown competency '{cand.competency}'")
        if cand.from_stage not in stages:
            raise ValueError(f"custom initiative '{cand.key}': unknown stage '{cand.from_stage}'")
        if isinstance(cand.duration, bool) or not isinstance(cand.duration, int) or not 1 <= cand.duration <= 40:
            raise ValueError(f"custom initiative '{cand.key}': duration must be 1 to 40 periods")
        for name, number in (("effort", cand.effort), ("cost", cand.cost)):
            if not math.isfinite(number) or number < 0:
                raise ValueError(f"custom initiative '{cand.key}': {name} must be 0 or more")
    for cand in request.custom:
        for req in cand.requires:
            if req not in keys:
                raise ValueError(f"custom initiative '{cand.key}' requires unknown initiative '{req}'")
    for key in sorted(request.must_not):
        if key not in keys:
            raise ValueError(f"must-not initiative '{key}' is neither an action of {fw.id} nor a custom initiative")
    seen: set[str] = set()
    for lock in request.locks:
        if lock.key in seen:
            raise ValueError(f"initiative '{lock.key}' is locked twice")
        seen.add(lock.key)
        if isinstance(lock.start, bool) or not isinstance(lock.start, int):
            raise ValueError(f"the lock of '{lock.key}' needs a whole period number")


# --------------------------------------------------------------------------------------------------------------------
# The prepared instance


@dataclass
class _Problem:
    fw: Framework
    result: Result
    request: PlanRequest
    horizon: int
    cands: tuple[Candidate, ...]
    index: dict[str, int]
    comp: tuple[str, ...]
    frm: npt.NDArray[np.int64]
    dur: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]
    effort: npt.NDArray[np.float64]
    #: Unweighted share of the gap that each candidate closes (0 outside the steps toward the target).
    part: npt.NDArray[np.float64]
    #: The objective's value of each candidate (part × weight × importance factor × weakness factor).
    value: npt.NDArray[np.float64]
    prereqs: tuple[tuple[int, ...], ...]
    unknown_prereqs: tuple[tuple[str, ...], ...]
    #: Candidates of the step below (``from_stage - 1``) that must finish first; None when no such gate applies.
    gate: tuple[tuple[int, ...] | None, ...]
    #: Not on the must-not list and short enough for the horizon.
    allowed: npt.NDArray[np.bool_]
    #: Allowed, with every prerequisite (and the step below) possible too.
    eligible: npt.NDArray[np.bool_]
    must: frozenset[int]
    locks: dict[int, int]
    current: dict[str, int]
    score: dict[str, float]
    target: dict[str, int]
    gap: dict[str, float]
    #: Candidates per (competency, from stage number), not counting those on the must-not list.
    step_members: dict[tuple[str, int], tuple[int, ...]]
    #: Worth something, forced, or (transitively) needed first by such a candidate: the only ones the solver sees.
    relevant: npt.NDArray[np.bool_]
    owners: dict[int, str] = field(default_factory=dict)
    #: Competencies that hold the overall stage back (weakest rule): their next step is planned first.
    back: tuple[str, ...] = ()
    #: Fixed starts of that step's candidates and what they need first (see ``lead_starts``); empty when none.
    lead: dict[int, int] = field(default_factory=dict)
    #: Candidates for a stage already reached whose own indicators do not say otherwise: in place, not planned.
    done: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: Candidates for a stage already reached that their own indicators say are not in place: those indicators.
    contradicted: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.cands)

    def bonus(self, start: int) -> float:
        return 1.0 + EARLY_BONUS * (self.horizon - start) / self.horizon

    def objective(self, starts: dict[int, int]) -> float:
        return float(sum(self.value[i] * self.bonus(t) for i, t in starts.items()))

    def forced(self, must: frozenset[int] | None = None) -> frozenset[int]:
        return (self.must if must is None else must) | frozenset(self.locks)


def _target_of(fw: Framework, result: Result, request: PlanRequest, key: str, stage: int) -> int:
    wanted = request.targets.get(key) or result.options.targets.get(key)
    if wanted:
        return fw.stage_number(wanted)
    return min(stage + 1, len(fw.stages))


def _prepare(fw: Framework, result: Result, request: PlanRequest, horizon: int | None = None) -> _Problem:
    horizon = request.horizon if horizon is None else horizon
    # A competency that is not assessed has no stage and no gap: none of its actions is a candidate.
    assessed = {c.key for c in result.competencies if c.assessed}
    cands = tuple(c for c in (*(Candidate.of(fw, a) for a in fw.actions), *request.custom) if c.competency in assessed)
    index = {c.key: i for i, c in enumerate(cands)}
    n_stages = len(fw.stages)
    current: dict[str, int] = {}
    score: dict[str, float] = {}
    target: dict[str, int] = {}
    gap: dict[str, float] = {}
    factor: dict[str, float] = {}
    back = holding_back(fw, result.competencies, result.overall.rule)
    for comp in fw.competencies:
        res = result.competency(comp.key)
        if res.stage_number is None or res.score is None:
            continue
        current[comp.key] = res.stage_number
        score[comp.key] = res.score
        target[comp.key] = _target_of(fw, result, request, comp.key, res.stage_number)
        gap[comp.key] = max(0.0, target[comp.key] - res.score)
        importance = res.importance / IMPORTANCE_NEUTRAL if res.importance is not None else 1.0
        weakness = 1.0 + (n_stages - res.score) / (n_stages - 1)
        factor[comp.key] = comp.weight * importance * weakness
    frm = np.array([fw.stage_number(c.from_stage) for c in cands], dtype=np.int64)
    members: dict[tuple[str, int], list[int]] = {}
    for i, cand in enumerate(cands):
        if cand.key not in request.must_not:
            members.setdefault((cand.competency, int(frm[i])), []).append(i)
    step_members = {k: tuple(v) for k, v in members.items()}
    part = np.zeros(len(cands))
    value = np.zeros(len(cands))
    for i, cand in enumerate(cands):
        c, t = cand.competency, int(frm[i])
        s = current[c]
        if cand.key in request.must_not or not s <= t < target[c]:
            continue
        share = (s + 1 - score[c]) if t == s else 1.0
        part[i] = max(0.0, share) / len(step_members[(c, t)])
        value[i] = part[i] * factor[c]
    done, contradicted = _reached(fw, result, cands, frm, current)
    gate: list[tuple[int, ...] | None] = []
    for i, cand in enumerate(cands):
        t = int(frm[i])
        gate.append(step_members.get((cand.competency, t - 1), ()) if t > current[cand.competency] else None)
    # A prerequisite already in place (its stage reached) is no longer waited for.
    prereqs = tuple(tuple(index[r] for r in c.requires if r in index and not done[index[r]]) for c in cands)
    unknown = tuple(tuple(r for r in c.requires if r not in index) for c in cands)
    dur = np.array([c.duration for c in cands], dtype=np.int64)
    allowed = np.array([c.key not in request.must_not for c in cands], dtype=bool) & (dur <= horizon)
    eligible = allowed.copy()
    changed = True
    while changed:
        changed = False
        for i in (int(i) for i in np.flatnonzero(eligible)):
            g = gate[i]
            if (
                unknown[i]
                or any(not eligible[j] for j in prereqs[i])
                or (g is not None and not any(eligible[j] for j in g))
            ):
                eligible[i] = False
                changed = True
    must = frozenset(index[k] for k in request.must if k in index)
    locks = {index[lk.key]: lk.start for lk in request.locks if lk.key in index}
    relevant = (value > 0) | np.isin(np.arange(len(cands)), list(must | set(locks)))
    todo = [int(i) for i in np.flatnonzero(relevant)]
    while todo:
        i = todo.pop()
        for j in (*prereqs[i], *(gate[i] or ())):
            if not relevant[j]:
                relevant[j] = True
                todo.append(j)
    lock_owner = {index[lk.key]: lk.owner for lk in request.locks if lk.key in index and lk.owner}
    owners = {i: lock_owner.get(i) or request.owners.get(c.key, "") for i, c in enumerate(cands)}
    return _Problem(
        fw=fw,
        result=result,
        request=request,
        horizon=horizon,
        cands=cands,
        index=index,
        comp=tuple(c.competency for c in cands),
        frm=frm,
        dur=dur,
        cost=np.array([c.cost for c in cands], dtype=np.float64),
        effort=np.array([c.effort for c in cands], dtype=np.float64),
        part=part,
        value=value,
        prereqs=prereqs,
        unknown_prereqs=unknown,
        gate=tuple(gate),
        allowed=allowed,
        eligible=eligible,
        must=must,
        locks=locks,
        current=current,
        score=score,
        target=target,
        gap=gap,
        step_members=step_members,
        relevant=relevant,
        owners=owners,
        back=back,
        done=done,
        contradicted=contradicted,
    )


def _reached(
    fw: Framework,
    result: Result,
    cands: Sequence[Candidate],
    frm: npt.NDArray[np.int64],
    current: dict[str, int],
) -> tuple[npt.NDArray[np.bool_], dict[int, tuple[str, ...]]]:
    """Return which candidates count as done, and the indicators that say otherwise for the rest of those below.

    A candidate for a stage its competency has already passed (``from_stage`` below the current stage) counts as done:
    it uses no capacity and nothing waits for it. Unless the answers on its own indicators say it is not in place: a
    statement whose mean answer is below the stage threshold, or a rubric whose mean chosen stage is below the stage
    the action leads to. Such a candidate stays a prerequisite, and its reason names those indicators.
    """
    means = {r.key: r.mean for r in result.indicators}
    kinds = {ind.key: ind for _, ind in fw.indicators}
    threshold = fw.scoring.threshold
    done = np.zeros(len(cands), dtype=bool)
    contradicted: dict[int, tuple[str, ...]] = {}
    for i, cand in enumerate(cands):
        t = int(frm[i])
        if t >= current[cand.competency]:
            continue
        against = []
        for key in cand.indicators:
            ind, mean = kinds.get(key), means.get(key)
            if ind is None or mean is None or math.isnan(mean):
                continue
            limit = threshold if isinstance(ind, Statement) else t + 1
            if mean < limit:
                against.append(key)
        if against:
            contradicted[i] = tuple(against)
        else:
            done[i] = True
    return done, contradicted


# --------------------------------------------------------------------------------------------------------------------
# The mixed-integer program


@dataclass(frozen=True)
class _Outcome:
    status: Literal["optimal", "feasible", "infeasible", "timeout", "error"]
    starts: dict[int, int]
    #: The solver's objective in its own sense (plan value for goal "value", the minimized limit otherwise).
    value: float | None = None
    #: For goal "value": the best possible plan value the solver could prove (an upper bound).
    bound: float | None = None
    message: str = ""
    #: For the linear relaxation: how much of each candidate it starts, and its mean start.
    mass: npt.NDArray[np.float64] | None = None
    mean_start: npt.NDArray[np.float64] | None = None
    #: Wall seconds the solver itself took (not counting building the program, nor importing the solver).
    seconds: float = 0.0


@dataclass
class _Program:
    """A program built by ``_build``: columns ``z[i, t]`` (then the minimized limit's column, for the "min-*" goals),
    the objective to minimize, and rows ``lo <= A x <= hi`` as coordinate lists."""

    last: npt.NDArray[np.int64]
    first: npt.NDArray[np.int64]
    vi: npt.NDArray[np.int64]
    vt: npt.NDArray[np.int64]
    n_x: int
    objective: npt.NDArray[np.float64]
    lb: npt.NDArray[np.float64]
    ub: npt.NDArray[np.float64]
    integrality: npt.NDArray[np.float64]
    rows: list[int]
    cols: list[int]
    vals: list[float]
    lo: list[float]
    hi: list[float]
    minimized: str | None
    #: First column of the start columns ``x[i, t]`` (``x_col + first[i] + t``), or None when the program has none.
    x_col: int | None = None


def _build(
    p: _Problem,
    *,
    goal: Goal = "value",
    relax: frozenset[Family] = frozenset(),
    must: frozenset[int] | None = None,
    fixed: dict[int, int] | None = None,
    free: npt.NDArray[np.bool_] | None = None,
    relaxed: bool = False,
    start_columns: bool = False,
) -> _Program | _Outcome:
    """Build the program (see ``_solve``); an ``_Outcome`` when it is infeasible or empty before any solving.

    With ``start_columns`` the program also has a column ``x[i, t] = z[i, t] − z[i, t − 1]`` ("i starts in t") for
    every ``z[i, t]``, and the per-period limits are written over them as well: "i runs in τ" becomes the sum of its
    starts in τ − dur + 1 … τ, a row of nonnegative coefficients on 0–1 columns. The linear relaxation is the same,
    but HiGHS's root cuts find more in such rows: on the benchmark's instances 3 and 5 its root bound is 1.4 to 1.5%
    tighter, reached in no more CPU time (docs/planning.md, section 10).
    """

    hz = p.horizon  # the number of periods
    fixed = {**p.lead, **(fixed or {})}
    usable = (p.allowed if "prerequisites" in relax else p.eligible) & p.relevant
    if free is not None:
        usable = usable & (free | np.isin(np.arange(p.n), list(fixed)))
    must_set = frozenset() if "must" in relax else (p.must if must is None else must)
    forced = must_set | frozenset(p.locks) | frozenset(fixed)
    if any(not usable[i] for i in forced):
        return _Outcome("infeasible", {}, message="a must-do or locked initiative cannot be scheduled at all")
    # z[i, t] = 1 when i has started by period t (t = 1 .. last[i], the last period in which i can start and still
    # finish within the horizon); i starts in t when z[i, t] − z[i, t − 1] = 1. This cumulative ("step") form needs
    # two coefficients per order or running term where start variables need up to H, and the solver's branching on
    # "started by t" splits the schedule evenly; its linear relaxation is the same.
    last = np.where(usable, hz - p.dur + 1, 0).astype(np.int64)
    first = np.concatenate(([0], np.cumsum(last)[:-1])).astype(np.int64) - 1  # column of z[i, t]: first[i] + t
    n_x = int(last.sum())
    vi = np.repeat(np.arange(p.n), last)
    vt = np.concatenate([np.arange(1, k + 1) for k in last]) if n_x else np.zeros(0, dtype=np.int64)
    z_col = n_x
    minimized = {"min-budget": "budget", "min-capacity": "capacity", "min-concurrent": "concurrency"}.get(goal)
    n_vars = z_col + (1 if minimized else 0)
    x_col = n_vars if start_columns and n_x else None
    if x_col is not None:
        n_vars += n_x
    if n_vars == 0:
        return _Outcome("optimal", {}, value=0.0, bound=0.0)
    items = [int(i) for i in np.flatnonzero(last > 0)]

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    lb = np.zeros(n_vars)
    ub = np.ones(n_vars)

    def add_row(entries: list[tuple[int, float]], low: float, high: float) -> None:
        r = len(lo)
        for col, coef in entries:
            rows.append(r)
            cols.append(col)
            vals.append(coef)
        lo.append(low)
        hi.append(high)

    def col(i: int, t: int) -> int | None:
        """The column of "i started by t" (None when t < 1: not started; t past its last start: by its last)."""
        if t < 1 or last[i] == 0:
            return None
        return int(first[i]) + min(t, int(last[i]))

    # Started by t implies started by t + 1; must-do and locked ones start (the last column is 1).
    for i in items:
        for t in range(1, int(last[i])):
            add_row([(int(first[i]) + t, 1.0), (int(first[i]) + t + 1, -1.0)], -np.inf, 0.0)
        if i in forced:
            lb[int(first[i]) + int(last[i])] = 1.0
    # Order: i started by t needs each prerequisite b started by t − dur[b] (so finished by t), and one of the step
    # below's candidates likewise.
    if "prerequisites" not in relax:
        for a in items:
            g = p.gate[a]
            for t in range(1, int(last[a]) + 1):
                here = int(first[a]) + t
                for b in p.prereqs[a]:
                    c = col(b, t - int(p.dur[b]))
                    if c is None:
                        ub[here] = 0.0
                    else:
                        add_row([(here, 1.0), (c, -1.0)], -np.inf, 0.0)
                if g is not None:
                    below = [(c, -1.0) for b in g if (c := col(b, t - int(p.dur[b]))) is not None]
                    if below:
                        add_row([(here, 1.0), *below], -np.inf, 0.0)
                    else:
                        ub[here] = 0.0
    if x_col is not None:
        # x[i, t] − z[i, t] + z[i, t − 1] = 0: the start columns follow the "started by" ones exactly.
        for j in range(n_x):
            link = [(x_col + j, 1.0), (j, -1.0)]
            if vt[j] > 1:
                link.append((j - 1, 1.0))
            add_row(link, 0.0, 0.0)

    def running(i: int, period: int, w: float, starts: bool) -> list[tuple[int, float]]:
        """``w`` times "i runs in ``period``": it started by then but not by ``period − dur[i]``; over the start
        columns when ``starts``: it started in one of ``period − dur[i] + 1`` … ``period``."""
        if starts:
            assert x_col is not None
            low, high = max(1, period - int(p.dur[i]) + 1), min(period, int(last[i]))
            return [(x_col + int(first[i]) + t, w) for t in range(low, high + 1)]
        now = col(i, period)
        if now is None:
            return []
        before = col(i, period - int(p.dur[i]))
        return [(now, w)] if before is None else [(now, w), (before, -w)]

    # Limits per period: i runs in period τ when it started by τ but not by τ − dur[i].
    limits: list[tuple[Family, npt.NDArray[np.float64], float | None]] = [
        ("budget", p.cost / p.dur, p.request.budget),
        ("capacity", p.effort / p.dur, p.request.capacity),
        ("concurrency", np.ones(p.n), float(p.request.max_concurrent)),
    ]
    for family, per_period, limit in limits:
        if family != minimized and (limit is None or family in relax):
            continue
        # With start columns each limit is written twice, over the "started by" columns and over the start columns:
        # the same rows for the relaxation, but HiGHS's root bound came out tightest with both (section 10).
        for starts in (False, True) if x_col is not None else (False,):
            for period in range(1, hz + 1):
                entries: list[tuple[int, float]] = []
                for i in items:
                    w = float(per_period[i])
                    if w <= 0 and family != minimized:
                        continue
                    entries.extend(running(i, period, w, starts))
                if family == minimized:
                    add_row([*entries, (z_col, -1.0)], -np.inf, 0.0)
                elif entries:
                    add_row(entries, -np.inf, float(limit or 0.0) * (1 + TOLERANCE) + TOLERANCE)

    def pin(i: int, start: int) -> None:
        """Start ``i`` in ``start``: not started before, started by then."""
        ub[int(first[i]) + 1 : int(first[i]) + start] = 0.0
        lb[int(first[i]) + start] = 1.0

    if "lock-dates" not in relax:
        for i, start in p.locks.items():
            if not 1 <= start <= last[i]:
                return _Outcome("infeasible", {}, message="a lock lies outside the horizon")
            pin(i, start)
    for i, start in fixed.items():
        if not 1 <= start <= last[i]:
            return _Outcome("infeasible", {}, message="a fixed start lies outside the horizon")
        pin(i, start)
    if np.any(lb > ub):
        return _Outcome("infeasible", {}, message="a locked or fixed start breaks an order")
    integrality = np.zeros(n_vars)
    integrality[:n_x] = 0.0 if relaxed else 1.0
    if x_col is not None:
        # Integral too: measured, HiGHS reaches its root bound in less time than with the starts left continuous.
        integrality[x_col:] = 0.0 if relaxed else 1.0
    objective = np.zeros(n_vars)
    if goal == "value":
        # Σ c[t] · (z[t] − z[t − 1]) = Σ (c[t] − c[t + 1]) · z[t] + c[last] · z[last], c = −value × early bonus.
        per_start = -p.value[vi] * (1.0 + EARLY_BONUS * (hz - vt) / hz)
        following = np.zeros(n_x)
        following[:-1] = per_start[1:]
        is_last = vt == last[vi]
        objective[:n_x] = per_start - np.where(is_last, 0.0, following)
    elif minimized:
        objective[z_col] = 1.0
        ub[z_col] = np.inf
        integrality[z_col] = 1.0 if goal == "min-concurrent" else 0.0
    return _Program(
        last=last,
        first=first,
        vi=vi,
        vt=vt,
        n_x=n_x,
        objective=objective,
        lb=lb,
        ub=ub,
        integrality=integrality,
        rows=rows,
        cols=cols,
        vals=vals,
        lo=lo,
        hi=hi,
        minimized=minimized,
        x_col=x_col,
    )


def _solve(
    p: _Problem,
    *,
    goal: Goal = "value",
    relax: frozenset[Family] = frozenset(),
    must: frozenset[int] | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    fixed: dict[int, int] | None = None,
    free: npt.NDArray[np.bool_] | None = None,
    relaxed: bool = False,
    start: dict[int, int] | None = None,
    start_columns: bool = False,
) -> _Outcome:
    """Build and solve the program; ``relax`` drops families of constraints, ``must`` replaces the must-do set.

    For a neighbourhood search, ``fixed`` candidates keep their starts and only ``free`` ones may change (the rest
    stay out of the plan). The plan's value (goal "value", not ``relaxed``) is solved by ``planning.highs``, which
    starts from the valid plan ``start`` when given; the other goals and the relaxation by ``scipy.optimize.milp``.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    built = _build(
        p, goal=goal, relax=relax, must=must, fixed=fixed, free=free, relaxed=relaxed, start_columns=start_columns
    )
    if isinstance(built, _Outcome):
        return built
    hz = p.horizon
    n_x, vi, vt, minimized = built.n_x, built.vi, built.vt, built.minimized
    z_col, n_vars = n_x, len(built.lb)
    objective, lb, ub, integrality = built.objective, built.lb, built.ub, built.integrality
    rows, cols, vals, lo, hi = built.rows, built.cols, built.vals, built.lo, built.hi
    constraints = []
    if lo:
        matrix = coo_array((vals, (rows, cols)), shape=(len(lo), n_vars)).tocsr()
        constraints.append(LinearConstraint(matrix, np.array(lo), np.array(hi)))
    options = {
        "time_limit": float(p.request.time_limit if time_limit is None else time_limit),
        "mip_rel_gap": float(p.request.mip_gap if mip_gap is None else mip_gap),
        "disp": False,
        "presolve": True,
    }
    solving = time.monotonic()
    if goal == "value" and not relaxed:
        return _solve_value(p, built, options, start)
    try:
        res = milp(objective, integrality=integrality, bounds=Bounds(lb, ub), constraints=constraints, options=options)
    except Exception as exc:  # a solver failure must not reach the user as a traceback
        return _Outcome("error", {}, message=f"{type(exc).__name__}: {exc}")
    dual = getattr(res, "mip_dual_bound", None)
    bound = -float(dual) if goal == "value" and dual is not None and math.isfinite(dual) else None
    if res.x is None:
        if res.status == 2:
            return _Outcome("infeasible", {}, message=str(res.message))
        if res.status == 1:
            return _Outcome("timeout", {}, bound=bound, message=str(res.message))
        return _Outcome("error", {}, message=str(res.message))
    z = np.asarray(res.x)[:n_x]
    previous = np.zeros(n_x)
    previous[1:] = z[:-1]
    previous[vt == 1] = 0.0
    x = np.clip(z - previous, 0.0, 1.0)  # how much of i starts in t
    if relaxed:
        mass = np.bincount(vi, weights=x, minlength=p.n).astype(np.float64)
        mean = np.bincount(vi, weights=x * vt, minlength=p.n) / np.maximum(mass, 1e-9)
        lp_bound = -float(res.fun) if goal == "value" and res.status == 0 else None
        seconds = time.monotonic() - solving
        return _Outcome(
            "feasible", {}, value=-float(res.fun), bound=lp_bound, mass=mass, mean_start=mean, seconds=seconds
        )
    starts: dict[int, int] = {}
    for j in np.flatnonzero(z > 0.5):
        i = int(vi[j])
        starts[i] = min(starts.get(i, hz + 1), int(vt[j]))
    status: Literal["optimal", "feasible"] = "optimal" if res.status == 0 else "feasible"
    if goal == "value":
        value = p.objective(starts)
        # As in _solve_value: no bound proven, none claimed.
        return _Outcome(status, starts, value=value, bound=max(bound, value) if bound is not None else None)
    return _Outcome(status, starts, value=float(res.x[z_col]) if minimized else 0.0)


def _solve_value(
    p: _Problem, built: _Program, options: dict[str, float | bool], start: dict[int, int] | None
) -> _Outcome:
    """Solve the plan's value program with ``planning.highs``, from the plan ``start`` when it fits the program."""
    from scipy.sparse import coo_array

    from cxmaturity.planning import highs

    n_vars = len(built.lb)
    matrix = (
        coo_array((built.vals, (built.rows, built.cols)), shape=(len(built.lo), n_vars)).tocsc() if built.lo else None
    )
    given: npt.NDArray[np.float64] | None = None
    if start is not None and all(built.last[i] >= t >= 1 for i, t in start.items()):
        # "Started by t" is 1 from the start period on.
        given = np.zeros(n_vars)
        for i, t in start.items():
            given[int(built.first[i]) + t : int(built.first[i]) + int(built.last[i]) + 1] = 1.0
            if built.x_col is not None:
                given[built.x_col + int(built.first[i]) + t] = 1.0
    try:
        res = highs.solve(
            built.objective,
            built.integrality,
            built.lb,
            built.ub,
            matrix,
            np.array(built.lo),
            np.array(built.hi),
            time_limit=float(options["time_limit"]),
            mip_gap=float(options["mip_rel_gap"]),
            start=given,
        )
    except Exception as exc:  # a solver failure must not reach the user as a traceback
        return _Outcome("error", {}, message=f"{type(exc).__name__}: {exc}")
    bound = -res.dual_bound if res.dual_bound is not None else None
    if res.x is None:
        if res.status == 2:
            return _Outcome("infeasible", {}, message=res.message)
        if res.status == 1:
            return _Outcome("timeout", {}, bound=bound, message=res.message)
        return _Outcome("error", {}, message=res.message)
    z = res.x[: built.n_x]
    starts: dict[int, int] = {}
    for j in np.flatnonzero(z > 0.5):
        i = int(built.vi[j])
        starts[i] = min(starts.get(i, p.horizon + 1), int(built.vt[j]))
    status: Literal["optimal", "feasible"] = "optimal" if res.status == 0 else "feasible"
    value = p.objective(starts)
    # No bound proven (HiGHS stopped before its first node's bound): none is claimed. Taking the plan's own value as
    # the bound would call a plan found in the first milliseconds optimal.
    return _Outcome(status, starts, value=value, bound=max(bound, value) if bound is not None else None)


# --------------------------------------------------------------------------------------------------------------------
# Checks shared by pruning and the greedy baseline


def _finish(p: _Problem, i: int, start: int) -> int:
    """The first period after candidate ``i`` when it starts in ``start`` (its ``end``)."""
    return start + int(p.dur[i])


def _order_ok(p: _Problem, i: int, start: int, starts: dict[int, int]) -> bool:
    """Whether ``i`` starting in ``start`` has its prerequisites and the step below finished before it."""
    for b in p.prereqs[i]:
        if b not in starts or _finish(p, b, starts[b]) > start:
            return False
    g = p.gate[i]
    return g is None or any(b in starts and _finish(p, b, starts[b]) <= start for b in g)


def _prune(p: _Problem, starts: dict[int, int]) -> dict[int, int]:
    """Drop chosen candidates worth nothing that nothing needs (the solver is indifferent to them)."""
    starts = dict(starts)
    forced = p.forced()
    changed = True
    while changed:
        changed = False
        for z in sorted(starts, key=lambda i: -starts[i]):
            if z in forced or p.value[z] > 0:
                continue
            rest = {i: t for i, t in starts.items() if i != z}
            if all(_order_ok(p, i, t, rest) for i, t in rest.items()):
                starts = rest
                changed = True
    return starts


class _Ledger:
    """Per-period spending of a schedule being built (for the greedy baseline)."""

    def __init__(self, p: _Problem) -> None:
        self.p = p
        self.budget = np.zeros(p.horizon + 2)
        self.capacity = np.zeros(p.horizon + 2)
        self.running = np.zeros(p.horizon + 2, dtype=np.int64)
        self.starts: dict[int, int] = {}
        self.visiting: set[int] = set()

    def place(self, i: int, start: int) -> None:
        p = self.p
        span = slice(start, start + int(p.dur[i]))
        self.budget[span] += p.cost[i] / p.dur[i]
        self.capacity[span] += p.effort[i] / p.dur[i]
        self.running[span] += 1
        self.starts[i] = start

    def remove(self, i: int) -> None:
        p = self.p
        start = self.starts.pop(i)
        span = slice(start, start + int(p.dur[i]))
        self.budget[span] -= p.cost[i] / p.dur[i]
        self.capacity[span] -= p.effort[i] / p.dur[i]
        self.running[span] -= 1

    def ready(self, i: int) -> int | None:
        """The earliest start at which ``i``'s prerequisites and the step below have finished (None: never)."""
        p = self.p
        low = 1
        for b in p.prereqs[i]:
            if b not in self.starts:
                return None
            low = max(low, _finish(p, b, self.starts[b]))
        g = p.gate[i]
        if g is not None:
            done = [_finish(p, b, self.starts[b]) for b in g if b in self.starts]
            if not done:
                return None
            low = max(low, min(done))
        return low

    def fits(self, i: int, start: int) -> bool:
        """Whether ``i`` starting in ``start`` stays within the horizon and every period's limits."""
        room = self.room(i)
        return 1 <= start <= len(room) and bool(room[start - 1])

    def earliest(self, i: int) -> int | None:
        """The earliest start that keeps the order and the limits (the local search calls this thousands of times)."""
        low = self.ready(i)
        if low is None:
            return None
        found = np.flatnonzero(self.room(i)[low - 1 :])
        return int(found[0]) + low if found.size else None

    def room(self, i: int) -> npt.NDArray[np.bool_]:
        """Whether ``i`` fits the limits when it starts in period t (entry t - 1), for every start within the
        horizon, at once."""
        p = self.p
        duration = int(p.dur[i])
        last = p.horizon - duration + 1
        if last < 1:
            return np.zeros(0, dtype=bool)
        hz = p.horizon
        ok = self.running[1 : hz + 1] + 1 <= p.request.max_concurrent
        for used, limit, need in (
            (self.budget, p.request.budget, p.cost[i] / duration),
            (self.capacity, p.request.capacity, p.effort[i] / duration),
        ):
            if limit is not None and need > 0:
                ok &= used[1 : hz + 1] + need <= limit * (1 + TOLERANCE) + TOLERANCE
        # A start t fits when none of the periods t .. t + duration - 1 lacks room: counted with a running sum.
        lacking = np.concatenate(([0], np.cumsum(~ok)))
        return np.asarray(lacking[duration : last + duration] == lacking[:last])

    def schedule(self, i: int, placed: list[int], depth: int = 0) -> bool:
        """Place ``i`` as early as it fits, after placing what it needs first; False (nothing placed) if it cannot."""
        p = self.p
        if i in self.starts:
            return True
        # A candidate already being placed further up (a requirement that leads back to it through the step
        # below) cannot come before itself.
        if not p.eligible[i] or depth > p.n or i in self.visiting:
            return False
        mark = len(placed)
        self.visiting.add(i)
        ok = all(self.schedule(b, placed, depth + 1) for b in p.prereqs[i])
        g = p.gate[i]
        if ok and g is not None and not any(b in self.starts for b in g):
            ranked = sorted((b for b in g if p.eligible[b]), key=lambda b: (p.effort[b] + p.cost[b] * 1e-6, b))
            ok = any(self.schedule(b, placed, depth + 1) for b in ranked)
        self.visiting.discard(i)
        start = self.earliest(i) if ok else None
        if start is None:
            for j in reversed(placed[mark:]):
                self.remove(j)
            del placed[mark:]
            return False
        self.place(i, start)
        placed.append(i)
        return True


def _place_forced(p: _Problem, ledger: _Ledger) -> bool:
    """Place the locked initiatives at their dates, the lead (``p.lead``) at its starts and the must-dos first-fit;
    False if one cannot be placed."""
    for i, start in sorted(p.locks.items(), key=lambda kv: kv[1]):
        if not p.eligible[i] or not ledger.fits(i, start):
            return False
        ledger.place(i, start)
    for i, start in sorted(p.lead.items(), key=lambda kv: (kv[1], kv[0])):
        if i not in ledger.starts:
            ledger.place(i, start)
    # What a lock needs first goes as early as it fits; a plan that cannot keep the lock's order is no plan (the
    # whole program, when it has the time, says why).
    for i in sorted(p.locks, key=lambda i: p.locks[i]):
        for b in p.prereqs[i]:
            ledger.schedule(b, [])
        g = p.gate[i]
        if g is not None and not any(b in ledger.starts for b in g):
            any(ledger.schedule(b, []) for b in g)
    placed = all(ledger.schedule(i, []) for i in sorted(p.must - set(p.locks)))
    return placed and all(_order_ok(p, i, t, ledger.starts) for i, t in ledger.starts.items())


def _lead(p: _Problem) -> dict[int, int]:
    """Return fixed starts for the step that lifts each competency holding the overall back to its next stage.

    After the locks, each of that step's candidates (with its prerequisites and the step below first) is placed at
    its earliest start that fits the limits; the must-dos must still fit first-fit after them, otherwise (and when
    nothing holds the overall back) there is no lead and the plan follows the values alone.
    """
    members = [i for c in p.back for i in p.step_members.get((c, p.current[c]), ()) if p.eligible[i] and p.value[i] > 0]
    if not members:
        return {}
    ledger = _Ledger(p)
    for i, start in p.locks.items():
        if not p.eligible[i] or not 1 <= start <= p.horizon - int(p.dur[i]) + 1:
            return {}
        ledger.place(i, start)
    # Between several competencies that hold the overall back, the more valuable step (weight, importance) first.
    for i in sorted(members, key=lambda i: (-float(p.value[i]), float(p.effort[i]), i)):
        ledger.schedule(i, [])
    lead = {i: t for i, t in ledger.starts.items() if i not in p.locks}
    if not all(ledger.schedule(i, []) for i in sorted(p.must - set(p.locks))):
        return {}
    return lead


def lead_starts(fw: Framework, result: Result, request: PlanRequest) -> dict[str, int]:
    """Return the starts the plan fixes first, by key: the step that lifts what holds the overall back."""
    validate_request(fw, result, request)
    p = _prepare(fw, result, request)
    return {p.cands[i].key: t for i, t in _lead(p).items()}


def _greedy_starts(p: _Problem) -> dict[int, int] | None:
    """Rank by value ÷ effort, then place each candidate (with what it needs) first-fit; None if a must-do fails."""
    ledger = _Ledger(p)
    if not _place_forced(p, ledger):
        return None
    ranked = sorted(
        (i for i in range(p.n) if p.value[i] > 0 and p.eligible[i]),
        key=lambda i: (-p.value[i] / max(float(p.effort[i]), 0.1), i),
    )
    for i in ranked:
        ledger.schedule(i, [])
    return _prune(p, ledger.starts)


def _guided_starts(p: _Problem, relaxation: _Outcome) -> tuple[dict[int, int] | None, float | None]:
    """Greedy in the order the linear ``relaxation`` suggests (most started first, then earliest); None if it fails.

    Also returns the relaxation's value, an upper bound of every plan's value.
    """
    if relaxation.mass is None or relaxation.mean_start is None:
        return None, None
    mass, mean = relaxation.mass, relaxation.mean_start
    ledger = _Ledger(p)
    if not _place_forced(p, ledger):
        return None, relaxation.bound
    ranked = sorted(
        (i for i in range(p.n) if p.value[i] > 0 and p.eligible[i]),
        key=lambda i: (float(mean[i]) if mass[i] > 0.5 else math.inf, -float(p.value[i]), i),
    )
    for i in ranked:
        ledger.schedule(i, [])
    return _prune(p, ledger.starts), relaxation.bound


def _compact(p: _Problem, starts: dict[int, int]) -> dict[int, int]:
    """Move every initiative to the earliest start that keeps the plan valid (earlier never delays a successor)."""
    ledger = _Ledger(p)
    for i, start in starts.items():
        ledger.place(i, start)
    for i in sorted(starts, key=lambda i: (starts[i], i)):
        if i in p.locks:
            continue
        old = ledger.starts[i]
        ledger.remove(i)
        new = ledger.earliest(i)  # at most ``old``, where it was valid
        ledger.place(i, old if new is None else min(new, old))
    return dict(ledger.starts)


def _repack(p: _Problem, starts: dict[int, int], deadline: float) -> dict[int, int]:
    """Ruin and recreate: take part of the plan out, refill it first-fit from the best-paying candidates, keep the
    result when it is worth no less; until the deadline.

    The part taken out alternates between a random share (``RELEASE_SHARE``) of the movable initiatives, those
    running in a window of two or three periods, and those of two competencies; whatever needed a removed one goes
    too. The refill ranks candidates by value per share of the horizon's limits, with random noise so that each round
    tries another packing. No solver: about 80 rounds per CPU second on 300 actions x 12 periods, where one
    sub-program of ``_improve`` takes a large part of a second.
    """
    rng = np.random.default_rng(0)
    keep = set(p.locks) | set(p.lead) | p.must
    hz = p.horizon
    share = p.dur / (p.request.max_concurrent * hz)
    for limit, spent in ((p.request.budget, p.cost), (p.request.capacity, p.effort)):
        if limit:
            share = share + spent / (limit * hz)
    density = p.value / np.maximum(share, 1e-12)
    pool = [i for i in range(p.n) if p.value[i] > 0 and p.eligible[i]]
    comps = sorted(set(p.comp))
    current, current_value = dict(starts), p.objective(starts)
    best, best_value = current, current_value
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        ledger = _Ledger(p)
        for i, t in current.items():
            ledger.place(i, t)
        movable = [i for i in current if i not in keep]
        if rounds % 3 == 0:
            out = {i for i in movable if rng.random() < RELEASE_SHARE}
        elif rounds % 3 == 1:
            first, width = int(rng.integers(1, hz + 1)), int(rng.integers(2, 4))
            out = {i for i in movable if current[i] < first + width and first < current[i] + int(p.dur[i])}
        else:
            picked = set(rng.choice(comps, size=min(2, len(comps)), replace=False).tolist())
            out = {i for i in movable if p.comp[i] in picked}
        for i in out:
            ledger.remove(i)
        valid, changed = True, True
        while changed and valid:  # take out what waited for a removed initiative, until the order holds
            changed = False
            for i, t in list(ledger.starts.items()):
                if not _order_ok(p, i, t, ledger.starts):
                    valid = i not in keep
                    if not valid:
                        break
                    ledger.remove(i)
                    changed = True
        if not valid:  # a kept initiative needed one taken out: try another part
            continue
        for i in set(ledger.starts) - set(_prune(p, ledger.starts)):  # free what only a removed one needed
            ledger.remove(i)
        noise = rng.lognormal(0.0, 0.3, p.n)
        for i in sorted((i for i in pool if i not in ledger.starts), key=lambda i: -density[i] * noise[i]):
            ledger.schedule(i, [])
        candidate = _compact(p, ledger.starts)
        value = p.objective(candidate)
        if value >= current_value - 1e-12:
            current, current_value = candidate, value
            if value > best_value * (1 + 1e-9) + 1e-12:
                best, best_value = candidate, value
    return best


def _improve(p: _Problem, starts: dict[int, int], deadline: float) -> dict[int, int]:
    """Large-neighbourhood search: re-optimize part of the plan with the rest kept fixed, until the deadline.

    The parts alternate: a few competencies at a time (everything of theirs may change), and a random share
    (``RELEASE_SHARE``) of the chosen initiatives together with every candidate not chosen. On the 300-action
    benchmark the second kind found most of the improvements: the per-period limits are all binding there, and
    freeing initiatives of every competency at once lets the sub-program repack a period across competencies.
    """
    comps = [c.key for c in p.fw.competencies]
    size = 2 if len(comps) >= 6 else 1
    rng = np.random.default_rng(0)
    best, best_value = _compact(p, starts), p.objective(starts)
    best_value = max(best_value, p.objective(best))
    comp_of = np.array([comps.index(c) for c in p.comp], dtype=np.int64)
    rounds = 0
    while (left := deadline - time.monotonic()) > 0.05:
        if rounds % 2 == 0 and len(comps) > size:
            free = np.isin(comp_of, rng.choice(len(comps), size=size, replace=False))
        else:
            chosen = np.isin(np.arange(p.n), list(best))
            free = ~chosen | (rng.random(p.n) < RELEASE_SHARE)
        rounds += 1
        fixed = {i: t for i, t in best.items() if not free[i]}
        limit = min(left, max(0.1, p.request.time_limit / 8))
        out = _solve(p, fixed=fixed, free=free, time_limit=limit, mip_gap=0, start_columns=START_COLUMNS)
        if out.status in ("optimal", "feasible"):
            candidate = _compact(p, out.starts)
            value = p.objective(candidate)
            if value > best_value * (1 + 1e-9) + 1e-12:
                best, best_value = candidate, value
    return best


# --------------------------------------------------------------------------------------------------------------------
# Building the plan


def _names(p: _Problem, comp: str) -> str:
    return competency_name(p.fw, comp)


def _stage_name(p: _Problem, number: int) -> str:
    return stage_name(p.fw, number)


def _expected(p: _Problem, starts: dict[int, int]) -> dict[str, tuple[str, ...]]:
    """Expected stage per competency per period: a step counts once all of its (allowed) candidates have finished."""
    out: dict[str, tuple[str, ...]] = {}
    top = len(p.fw.stages)
    for comp in p.fw.competencies:
        if comp.key not in p.current:
            continue  # not assessed: no stage to expect
        row = []
        for period in range(1, p.horizon + 1):
            stage = p.current[comp.key]
            while stage < top:
                members = p.step_members.get((comp.key, stage), ())
                if not members or not all(m in starts and _finish(p, m, starts[m]) - 1 <= period for m in members):
                    break
                stage += 1
            row.append(p.fw.stage_keys[stage - 1])
        out[comp.key] = tuple(row)
    return out


def _totals(p: _Problem, starts: dict[int, int]) -> tuple[PeriodTotals, ...]:
    cost = np.zeros(p.horizon + 1)
    effort = np.zeros(p.horizon + 1)
    running = np.zeros(p.horizon + 1, dtype=np.int64)
    for i, start in starts.items():
        span = slice(start, start + int(p.dur[i]))
        cost[span] += p.cost[i] / p.dur[i]
        effort[span] += p.effort[i] / p.dur[i]
        running[span] += 1
    return tuple(
        PeriodTotals(period=t, cost=float(cost[t]), effort=float(effort[t]), running=int(running[t]))
        for t in range(1, p.horizon + 1)
    )


def is_quick_win(p: _Problem, i: int) -> bool:
    """Low effort (<= 1 person-month), one period, on the competency's current stage, toward a target above it."""
    c = p.comp[i]
    return bool(
        p.effort[i] <= QUICK_WIN_EFFORT
        and p.dur[i] == 1
        and p.frm[i] == p.current[c]
        and p.target[c] > p.current[c]
        and p.cands[i].key not in p.request.must_not
    )


def _comp(p: _Problem, c: str) -> Ref:
    return Ref("competency", c, _names(p, c))


def _stage(p: _Problem, number: int) -> Ref:
    return Ref("stage", p.fw.stage_keys[number - 1], _stage_name(p, number))


def _ini(p: _Problem, i: int) -> Ref:
    """Candidate ``i`` as a reader knows it: its title (quoted where it is shown)."""
    return Ref("initiative", p.cands[i].key, p.cands[i].title)


def _statements(p: _Problem, keys: Sequence[str]) -> Items:
    return Items(tuple(Ref("indicator", k, _indicator(p, k)) for k in keys))


def _indicator(p: _Problem, key: str) -> str:
    try:
        return p.fw.text(p.fw.indicator(key).text)
    except KeyError:
        return key


def _reason(p: _Problem, i: int, starts: dict[int, int], discussed: Sequence[str]) -> tuple[Phrase, str, str]:
    """Return the reason sentence(s), expected_from and expected_to of chosen candidate ``i``.

    In plain words: competency, stage and initiative names and statement texts, never keys; kept as phrases, so that
    each reader reads them in their language (``i18n.phrase``).
    """
    cand = p.cands[i]
    c = cand.competency
    s, t, target = p.current[c], int(p.frm[i]), p.target[c]
    name = _comp(p, c)
    top = len(p.fw.stages)
    at: dict[str, Param] = {
        "competency": name,
        "stage": _stage(p, s),
        "score": Score(score_text(p.score[c])),
        "target": _stage(p, target),
    }
    sentences: list[Param] = [
        phrase(
            N_("%(competency)s is at %(stage)s (score %(score)s) and aims at %(target)s: a gap of %(gap)s."),
            **at,
            gap=Num(float(p.gap[c]), 2),
        )
        if target > s
        else phrase(N_("%(competency)s is at %(stage)s (score %(score)s), at or above its target %(target)s."), **at)
    ]
    if c in p.back:
        sentences.append(
            phrase(
                N_("It holds the overall stage back (the overall is its weakest competency), so it is lifted first.")
            )
        )
    why: list[Param] = []
    if i in p.locks:
        why.append(phrase(N_("it is locked")))
    elif i in p.must:
        why.append(phrase(N_("it is a must-do")))
    needed_by = sorted(
        (a for a in starts if i in p.prereqs[a] or (p.gate[a] is not None and i in (p.gate[a] or ()))),
        key=lambda a: (starts[a], p.cands[a].title),
    )
    if needed_by:
        shown = Items(tuple(_ini(p, a) for a in needed_by[:3]), "comma", more=len(needed_by) > 3)
        why.append(
            plural_phrase(
                N_("%(initiatives)s needs it first"),
                N_("%(initiatives)s need it first"),
                "num",
                initiatives=shown,
                num=len(needed_by),
            )
        )
    aside: Param = phrase(N_(" (%(reasons)s)"), reasons=Items(tuple(why))) if why else ""
    if t < s:
        expected_from = expected_to = p.fw.stage_keys[s - 1]
        against = p.contradicted.get(i, ())
        if against:
            effect = phrase(
                N_(
                    "It belongs to stage %(stage)s, which %(competency)s has already passed, so it adds no stage; but "
                    "the answers on %(statements)s say it is not in place yet%(why)s."
                ),
                stage=_stage(p, t),
                competency=name,
                statements=_statements(p, against),
                why=aside,
            )
        else:
            effect = phrase(
                N_(
                    "It belongs to stage %(stage)s, which %(competency)s has already passed, so it adds "
                    "no stage%(why)s."
                ),
                stage=_stage(p, t),
                competency=name,
                why=aside,
            )
    else:
        expected_from = p.fw.stage_keys[t - 1]
        expected_to = p.fw.stage_keys[min(t, top - 1)]
        step = {"competency": name, "from": _stage(p, t), "to": _stage(p, min(t + 1, top)), "why": aside}
        members = len(p.step_members.get((c, t), ()))
        if t >= target:
            effect = phrase(
                N_("It works on %(from)s to %(to)s, beyond the target, so it closes no gap%(why)s."), **step
            )
        elif members == 1:
            effect = phrase(
                N_(
                    "Expected to move %(competency)s from %(from)s to %(to)s, the only initiative for that step%(why)s."
                ),
                **step,
            )
        else:
            effect = phrase(
                N_(
                    "Expected to move %(competency)s from %(from)s to %(to)s, one of %(num)s initiatives for that "
                    "step%(why)s."
                ),
                num=members,
                **step,
            )
    sentences.append(effect)
    if cand.indicators:
        addresses = _statements(p, cand.indicators)
        if discussed and set(discussed) == set(cand.indicators):
            sentences.append(
                phrase(N_("It addresses %(statements)s, on which the team disagrees."), statements=addresses)
            )
        elif discussed:
            sentences.append(
                phrase(
                    N_("It addresses %(statements)s; the team disagrees on %(discussed)s."),
                    statements=addresses,
                    discussed=_statements(p, discussed),
                )
            )
        else:
            sentences.append(phrase(N_("It addresses %(statements)s."), statements=addresses))
    return Phrase("%(sentences)s", (("sentences", Items(tuple(sentences), "space")),)), expected_from, expected_to


def _not_assessed(p: _Problem) -> list[Phrase]:
    """The sentence every plan carries when it leaves competencies out because nobody could answer them."""
    if not p.result.not_assessed:
        return []
    names = Items(tuple(_comp(p, k) for k in p.result.not_assessed), "comma")
    return [
        phrase(
            N_("Not assessed (no usable answers): %(competencies)s; no gap and no initiative is planned for it."),
            competencies=names,
        )
    ]


def _plan(p: _Problem, starts: dict[int, int], status: Literal["optimal", "feasible"], gap: float) -> Plan:
    disputed = {d.indicator for d in p.result.discussion_items}
    initiatives = []
    comp_order = {c.key: n for n, c in enumerate(p.fw.competencies)}
    for i in sorted(starts, key=lambda i: (starts[i], comp_order[p.comp[i]], p.cands[i].key)):
        cand = p.cands[i]
        discussed = tuple(k for k in cand.indicators if k in disputed)
        reason, expected_from, expected_to = _reason(p, i, starts, discussed)
        initiatives.append(
            Initiative(
                key=cand.key,
                title=cand.title,
                competency=cand.competency,
                from_stage=cand.from_stage,
                start=starts[i],
                end=_finish(p, i, starts[i]),
                cost=float(cand.cost),
                effort=float(cand.effort),
                reason=str(reason),
                reason_phrase=reason,
                indicators=tuple(cand.indicators),
                discussion_items=discussed,
                expected_from=expected_from,
                expected_to=expected_to,
                measure=cand.measure,
                description=cand.description,
                quick_win=is_quick_win(p, i),
                owner=p.owners.get(i, ""),
                locked=i in p.locks,
                custom=cand.custom,
            )
        )
    if not initiatives:
        return Plan(
            status="empty",
            gap=0.0,
            objective=0.0,
            initiatives=(),
            expected_stages=_expected(p, {}),
            totals=_totals(p, {}),
            **_explained([*_not_assessed(p), *_explain_empty(p)]),
            request=p.request,
        )
    return Plan(
        status=status,
        gap=gap,
        objective=p.objective(starts),
        initiatives=tuple(initiatives),
        expected_stages=_expected(p, starts),
        totals=_totals(p, starts),
        **_explained(_not_assessed(p)),
        request=p.request,
    )


def _explained(sentences: Sequence[str | Phrase]) -> dict[str, Any]:
    """A plan's ``explanation`` (English) and ``explanation_phrases`` (each reader's language) from its sentences."""
    phrases = tuple(s if isinstance(s, Phrase) else literal(s) for s in sentences)
    return {"explanation": tuple(str(s) for s in phrases), "explanation_phrases": phrases}


def _infeasible(p: _Problem, sentences: Sequence[str | Phrase]) -> Plan:
    return Plan(
        status="infeasible",
        gap=None,
        objective=None,
        initiatives=(),
        expected_stages={},
        totals=(),
        **_explained([*sentences, *_not_assessed(p)]),
        request=p.request,
    )


# --------------------------------------------------------------------------------------------------------------------
# Explanations


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 or abs(x) >= 100 else f"{x:,.2f}"


def _amount(x: float) -> Num:
    """An amount as ``_number`` writes it, with the reader's separators."""
    return Num(x, 0 if abs(x - round(x)) < 1e-9 or abs(x) >= 100 else 2)


def _seconds(x: float) -> Num:
    """A time limit as ``:g`` writes it (``2``, ``0.5``), with the reader's decimal sign (``0,5`` in German)."""
    decimals = f"{x:f}".rstrip("0").partition(".")[2]
    return Num(x, min(len(decimals), 3))


def _fw_name(p: _Problem) -> str:
    return p.fw.text(p.fw.name)


def _why_not(p: _Problem, i: int, depth: int = 0) -> Phrase:
    """Why candidate ``i`` cannot be chosen at all (it is not eligible)."""
    cand = p.cands[i]
    title = _ini(p, i)
    if cand.key in p.request.must_not:
        return phrase(N_("%(initiative)s is on the must-not list"), initiative=title)
    if p.dur[i] > p.horizon:
        return phrase(
            N_("%(initiative)s takes %(num)s periods, more than the horizon of %(horizon)s"),
            initiative=title,
            num=int(p.dur[i]),
            horizon=p.horizon,
        )
    for r in p.unknown_prereqs[i]:
        return phrase(
            N_("%(initiative)s requires '%(key)s', which is no initiative of this plan"), initiative=title, key=r
        )
    for b in p.prereqs[i]:
        if not p.eligible[b]:
            if depth > 8:
                return phrase(
                    N_("%(initiative)s requires %(prerequisite)s, which cannot be chosen"),
                    initiative=title,
                    prerequisite=_ini(p, b),
                )
            return phrase(N_("%(initiative)s requires %(why)s"), initiative=title, why=_why_not(p, b, depth + 1))
    g = p.gate[i]
    c = cand.competency
    where = {
        "initiative": title,
        "stage": _stage(p, int(p.frm[i])),
        "below": _stage(p, int(p.frm[i]) - 1),
        "competency": _comp(p, c),
        "current": _stage(p, p.current[c]),
    }
    if g is not None and not g:
        excluded = [j for j, o in enumerate(p.cands) if o.competency == c and p.frm[j] == p.frm[i] - 1]
        if excluded:
            return phrase(
                N_(
                    "%(initiative)s is for stage %(stage)s of %(competency)s, which is at %(current)s: stage "
                    "%(below)s must be worked on first, but its initiatives (%(excluded)s) are on the must-not list"
                ),
                excluded=Items(tuple(_ini(p, j) for j in excluded), "comma"),
                **where,
            )
        return phrase(
            N_(
                "%(initiative)s is for stage %(stage)s of %(competency)s, which is at %(current)s: stage %(below)s "
                "must be worked on first, but no initiative exists for it"
            ),
            **where,
        )
    if g is not None:
        first = g[0]
        return phrase(
            N_(
                "%(initiative)s must wait for an initiative of stage %(below)s of %(competency)s (no stage is "
                "skipped), and none can be chosen: %(why)s"
            ),
            why=_why_not(p, first, depth + 1) if depth <= 8 else _ini(p, first),
            **where,
        )
    return phrase(N_("%(initiative)s cannot be chosen"), initiative=title)


def _typed_ref(p: _Problem, key: str) -> Param:
    """A key from the request: the initiative (its quoted title) when it exists, else the key as typed."""
    return _ini(p, p.index[key]) if key in p.index else f"'{key}'"


def _static_problems(p: _Problem) -> list[Phrase]:
    """Problems visible without solving: unknown keys, contradictions, locks outside the horizon."""
    req = p.request
    out: list[Phrase] = []
    known = p.index
    framework = Ref("framework", p.fw.id, _fw_name(p))
    for key in sorted(req.must):
        if key not in known:
            out.append(
                phrase(
                    N_(
                        "The must-do '%(key)s' is neither an action of %(framework)s nor one of your own initiatives: "
                        "check it or remove it from the must-do list."
                    ),
                    key=key,
                    framework=framework,
                )
            )
        elif key in req.must_not:
            out.append(
                phrase(
                    N_("%(initiative)s is both a must-do and a must-not: remove it from one of the two lists."),
                    initiative=_typed_ref(p, key),
                )
            )
    for lock in req.locks:
        if lock.key not in known:
            out.append(
                phrase(
                    N_(
                        "The locked initiative '%(key)s' is neither an action of %(framework)s nor one of your own "
                        "initiatives: unlock it."
                    ),
                    key=lock.key,
                    framework=framework,
                )
            )
            continue
        i = known[lock.key]
        title = _ini(p, i)
        if lock.key in req.must_not:
            out.append(
                phrase(
                    N_("%(initiative)s is locked and on the must-not list: unlock it or allow it."), initiative=title
                )
            )
            continue
        d = int(p.dur[i])
        latest = p.horizon - d + 1
        if lock.start < 1:
            out.append(
                phrase(
                    N_("The lock of %(initiative)s starts in period %(start)s; periods count from 1: move its start."),
                    initiative=title,
                    start=lock.start,
                )
            )
        elif lock.start > latest:
            needed = lock.start + d - 1
            if latest >= 1:
                out.append(
                    phrase(
                        N_(
                            "The lock of %(initiative)s starts in period %(start)s and takes %(num)s period(s), past "
                            "the horizon of %(horizon)s: move its start to period %(latest)s or earlier, or extend the "
                            "horizon to %(needed)s."
                        ),
                        initiative=title,
                        start=lock.start,
                        num=d,
                        horizon=p.horizon,
                        latest=max(latest, 1),
                        needed=needed,
                    )
                )
            else:
                out.append(
                    phrase(
                        N_(
                            "The locked %(initiative)s takes %(num)s periods, more than the horizon of %(horizon)s: "
                            "extend the horizon to %(needed)s or unlock it."
                        ),
                        initiative=title,
                        num=d,
                        horizon=p.horizon,
                        needed=needed,
                    )
                )
    if out:
        return out
    for i in sorted(p.forced(), key=lambda i: p.cands[i].key):
        if p.eligible[i]:
            continue
        locked = i in p.locks
        title = _ini(p, i)
        if p.dur[i] > p.horizon:
            out.append(
                phrase(
                    N_(
                        "The locked initiative %(initiative)s takes %(num)s periods, more than the horizon of "
                        "%(horizon)s: extend the horizon to %(num)s or drop it."
                    )
                    if locked
                    else N_(
                        "The must-do %(initiative)s takes %(num)s periods, more than the horizon of %(horizon)s: "
                        "extend the horizon to %(num)s or drop it."
                    ),
                    initiative=title,
                    num=int(p.dur[i]),
                    horizon=p.horizon,
                )
            )
        else:
            out.append(
                phrase(
                    N_(
                        "The locked initiative %(initiative)s cannot be scheduled: %(why)s. Allow what it needs or "
                        "drop it from the list."
                    )
                    if locked
                    else N_(
                        "The must-do %(initiative)s cannot be scheduled: %(why)s. Allow what it needs or drop it "
                        "from the list."
                    ),
                    initiative=title,
                    why=_why_not(p, i),
                )
            )
    return out + _lock_order(p)


def _lock_order(p: _Problem) -> list[Phrase]:
    """Locked starts that break an order by themselves: a locked initiative starting before a locked prerequisite
    (or the step below, when all of that step's candidates are locked) has finished. Named, with the period to pick."""
    out: list[Phrase] = []
    for a, start in sorted(p.locks.items(), key=lambda kv: (kv[1], p.cands[kv[0]].key)):
        for b in p.prereqs[a]:
            if b in p.locks and p.locks[b] + int(p.dur[b]) > start:
                out.append(
                    phrase(
                        N_(
                            "%(initiative)s is locked to start in period %(start)s, but it requires %(prerequisite)s, "
                            "which is locked to run until period %(until)s: start it in period %(after)s or later, or "
                            "move %(prerequisite)s earlier."
                        ),
                        initiative=_ini(p, a),
                        start=start,
                        prerequisite=_ini(p, b),
                        until=p.locks[b] + int(p.dur[b]) - 1,
                        after=p.locks[b] + int(p.dur[b]),
                    )
                )
    return out


def _feasible(p: _Problem, relax: frozenset[Family] = frozenset(), must: frozenset[int] | None = None) -> bool:
    """Whether some plan satisfies the constraints (with ``relax`` dropped and ``must`` as the must-do set)."""
    return _solve(p, goal="feasible", relax=relax, must=must).status in ("optimal", "feasible")


def _diagnose(fw: Framework, result: Result, p: _Problem) -> list[Phrase]:
    """Which constraint blocks the request, and what to relax: solve again with one family relaxed at a time."""
    req = p.request
    out: list[Phrase] = [phrase(N_("No plan satisfies every constraint at once."))]
    found = False
    spending: tuple[tuple[Family, Goal, float | None, str, str], ...] = (
        (
            "budget",
            "min-budget",
            req.budget,
            N_(
                "The budget per period (%(limit)s) is too small: the must-do and locked initiatives with their "
                "prerequisites need %(need)s (in money) in some period. Raise the budget per period to at least "
                "%(need)s, or drop a must-do."
            ),
            N_("The budget per period (%(limit)s) is too small: raise it, or drop a must-do."),
        ),
        (
            "capacity",
            "min-capacity",
            req.capacity,
            N_(
                "The capacity per period (%(limit)s) is too small: the must-do and locked initiatives with their "
                "prerequisites need %(need)s (in person-months) in some period. Raise the capacity per period to at "
                "least %(need)s, or drop a must-do."
            ),
            N_("The capacity per period (%(limit)s) is too small: raise it, or drop a must-do."),
        ),
    )
    for family, goal, limit, too_small, raise_it in spending:
        if limit is None or not _feasible(p, relax=frozenset({family})):
            continue
        found = True
        need = _solve(p, goal=goal, relax=frozenset({family}))
        if need.status in ("optimal", "feasible") and need.value is not None:
            out.append(phrase(too_small, limit=_amount(limit), need=_amount(need.value)))
        else:
            out.append(phrase(raise_it, limit=_amount(limit)))
    if _feasible(p, relax=frozenset({"concurrency"})):
        found = True
        need = _solve(p, goal="min-concurrent", relax=frozenset({"concurrency"}))
        if need.value is not None:
            out.append(
                phrase(
                    N_(
                        "At most %(num)s initiative(s) may run at once, too few for the must-do and locked "
                        "initiatives and their prerequisites: raise the limit to at least %(need)s."
                    ),
                    num=req.max_concurrent,
                    need=round(need.value),
                )
            )
        else:
            out.append(
                phrase(
                    N_(
                        "At most %(num)s initiative(s) may run at once, too few for the must-do and locked "
                        "initiatives and their prerequisites: raise the limit."
                    ),
                    num=req.max_concurrent,
                )
            )
    if p.horizon < MAX_HORIZON:
        longest = _prepare(fw, result, req, MAX_HORIZON)
        if _feasible(longest):
            found = True
            low, high = p.horizon + 1, MAX_HORIZON
            while low < high:
                mid = (low + high) // 2
                if _feasible(_prepare(fw, result, req, mid)):
                    high = mid
                else:
                    low = mid + 1
            out.append(
                phrase(
                    N_(
                        "The horizon of %(horizon)s period(s) is too short for the must-do and locked initiatives "
                        "with their prerequisites: extend it to %(needed)s periods."
                    ),
                    horizon=p.horizon,
                    needed=low,
                )
            )
    if p.locks and _feasible(p, relax=frozenset({"lock-dates"})):
        found = True
        locked = Items(tuple(_ini(p, i) for i in sorted(p.locks, key=lambda i: p.cands[i].key)))
        out.append(
            phrase(
                N_("The locked start dates (%(initiatives)s) cannot all be kept: move or unlock one of them."),
                initiatives=locked,
            )
        )
    optional = sorted(p.must - set(p.locks), key=lambda i: p.cands[i].key)
    if optional:
        singles = [i for i in optional if _feasible(p, must=p.must - {i})]
        for i in singles:
            found = True
            out.append(phrase(N_("Dropping the must-do %(initiative)s makes a plan possible."), initiative=_ini(p, i)))
        if not singles and _feasible(p, relax=frozenset({"must"})):
            found = True
            out.append(
                phrase(
                    N_("The must-do initiatives (%(initiatives)s) do not fit together: drop some of them."),
                    initiatives=Items(tuple(_ini(p, i) for i in optional)),
                )
            )
    if not found:
        if _feasible(p, relax=frozenset({"prerequisites"})):
            out.append(
                phrase(
                    N_(
                        "The must-do and locked initiatives fit only without their prerequisites (requires and the "
                        "stage order): drop a must-do or lock, or free a prerequisite's time."
                    )
                )
            )
        elif _feasible(p, relax=frozenset({"budget", "capacity", "concurrency", "lock-dates"})):
            out.append(
                phrase(
                    N_(
                        "No single change is enough: relax several limits at once (budget, capacity, initiatives "
                        "running at once, locked dates) or drop must-do initiatives."
                    )
                )
            )
        else:
            out.append(
                phrase(N_("Drop must-do or locked initiatives, or extend the horizon, to make a plan possible."))
            )
    return out


def _explain_empty(p: _Problem) -> list[Phrase]:
    """Why the best plan holds no initiative."""
    req = p.request
    if p.n == 0:
        return [
            phrase(
                N_(
                    "There is nothing to choose from: the framework %(framework)s has no actions and you have no "
                    "initiatives of your own. Add some of your own."
                ),
                framework=Ref("framework", p.fw.id, _fw_name(p)),
            )
        ]
    steps = [(c, t) for c in p.current for t in range(p.current[c], p.target[c])]
    if not steps:
        reached = Items(
            tuple(
                phrase(
                    N_("%(competency)s at %(stage)s (target %(target)s)"),
                    competency=_comp(p, c),
                    stage=_stage(p, p.current[c]),
                    target=_stage(p, p.target[c]),
                )
                for c in p.current
            ),
            "comma",
        )
        return [
            phrase(
                N_(
                    "Every competency is at or above its target (%(competencies)s), so no initiative would close a "
                    "gap. Raise a target to plan further."
                ),
                competencies=reached,
            )
        ]
    valued = [i for i in range(p.n) if p.value[i] > 0]
    if not valued:
        missing = Items(
            tuple(
                phrase(
                    N_("%(competency)s %(stage)s → %(next)s"),
                    competency=_comp(p, c),
                    stage=_stage(p, t),
                    next=_stage(p, t + 1),
                )
                for c, t in steps[:4]
            ),
            "semicolon",
        )
        return [
            phrase(
                N_("No initiative exists for the steps still to take (%(steps)s): add custom initiatives for them."),
                steps=missing,
            )
        ]
    possible = [i for i in valued if p.eligible[i]]
    if not possible:
        return [
            phrase(
                N_("None of the %(num)s initiatives that would close a gap can be chosen: %(reasons)s."),
                num=len(valued),
                reasons=Items(tuple(_why_not(p, i) for i in valued[:3]), "semicolon"),
            )
        ]
    out: list[Phrase] = [phrase(N_("No initiative that closes a gap fits within the limits."))]
    per_cost = min(float(p.cost[i] / p.dur[i]) for i in possible)
    per_effort = min(float(p.effort[i] / p.dur[i]) for i in possible)
    if req.budget is not None and per_cost > req.budget:
        out.append(
            phrase(
                N_(
                    "The budget per period (%(budget)s) is below what the cheapest of them spends per period "
                    "(%(cost)s): raise the budget."
                ),
                budget=_amount(req.budget),
                cost=_amount(per_cost),
            )
        )
    if req.capacity is not None and per_effort > req.capacity:
        out.append(
            phrase(
                N_(
                    "The capacity per period (%(capacity)s person-months) is below what the lightest of them needs "
                    "per period (%(effort)s): raise the capacity."
                ),
                capacity=_amount(req.capacity),
                effort=_amount(per_effort),
            )
        )
    if len(out) == 1:
        out.append(
            phrase(
                N_(
                    "Their prerequisites do not fit the budget, capacity, horizon or the limit of initiatives running "
                    "at once: relax one of them."
                )
            )
        )
    return out


# --------------------------------------------------------------------------------------------------------------------
# The entry points


def make_plan(fw: Framework, result: Result, request: PlanRequest) -> Plan:
    """Return the best plan for ``request`` given the team's ``result`` (see the module docstring).

    Raises ``ValueError`` for malformed requests (see ``validate_request``); every other problem, such as an infeasible
    request, is answered by a plan with status "infeasible" and an explanation.
    """
    validate_request(fw, result, request)
    p = _prepare(fw, result, request)
    static = _static_problems(p)
    if static:
        return _infeasible(p, static)
    p.lead = _lead(p)
    deadline = time.monotonic() + request.time_limit
    # The relaxation first: its bound holds whatever happens next, and it orders the guided plan.
    relaxation = _solve(p, relaxed=True, time_limit=request.time_limit * SOLVER_SHARE)
    seed: dict[int, int] | None = None
    if relaxation.status == "infeasible":  # no fractional plan, so no plan at all
        outcome = relaxation
    else:
        # The whole program starts from the best quick plan. On a large program (its root node would not finish in
        # the time left) that plan is first improved by ruin and recreate for a share of the time: the solver prunes
        # with it, and its bound after presolve and the root's cuts holds whenever it stops.
        found = [s for s in (_greedy_starts(p), _guided_starts(p, relaxation)[0]) if s is not None]
        seed = max(found, key=p.objective) if found else None
        left = deadline - time.monotonic()
        large = relaxation.status == "feasible" and left < ROOT_FACTOR * relaxation.seconds
        if seed is not None and large:
            seed = _repack(p, seed, time.monotonic() + left * SEED_SHARE)
        left = deadline - time.monotonic()
        outcome = _solve(
            p,
            time_limit=left * (WHOLE_SHARE if large else 1 - RESERVE_SHARE),
            start=seed,
            start_columns=START_COLUMNS,
        )
    if outcome.status == "infeasible":
        p.lead = {}  # a diagnosis asks what the constraints alone need, without the lead's chosen starts
        return _infeasible(p, _diagnose(fw, result, p))
    best, gap = _best_and_gap(p, outcome, deadline, relaxation, seed)
    if best is not None:
        status: Literal["optimal", "feasible"] = "optimal" if gap <= OPTIMAL_GAP else "feasible"
        if not best and status == "feasible":
            # Nothing placed, but not proven that nothing fits (the time limit stopped the search): a plan without
            # initiatives that says so, never "nothing to plan".
            return Plan(
                status="feasible",
                gap=gap,
                objective=0.0,
                initiatives=(),
                expected_stages=_expected(p, {}),
                totals=_totals(p, {}),
                **_explained(
                    [
                        *_not_assessed(p),
                        phrase(
                            N_(
                                "No initiative was placed within the time limit, which does not prove that none "
                                "fits: raise the time limit (now %(seconds)s s)."
                            ),
                            seconds=_seconds(request.time_limit),
                        ),
                    ]
                ),
                request=request,
            )
        return _plan(p, best, status, 0.0 if status == "optimal" else gap)
    reason: Param = (
        phrase(N_("the solver stopped at its time limit")) if outcome.status == "timeout" else outcome.message
    )
    return _infeasible(
        p,
        [
            phrase(N_("No plan was found (%(reason)s); that does not prove that none exists."), reason=reason),
            phrase(
                N_(
                    "Raise the time limit (now %(seconds)s s) or simplify the request (fewer must-do or locked "
                    "initiatives)."
                ),
                seconds=_seconds(request.time_limit),
            ),
        ],
    )


def _best_and_gap(
    p: _Problem,
    outcome: _Outcome,
    deadline: float,
    relaxation: _Outcome | None = None,
    seed: dict[int, int] | None = None,
) -> tuple[dict[int, int] | None, float]:
    """Return the plan to keep (pruned) after the whole program's ``outcome``, and its proven gap.

    The gap is ``(bound - value) / value`` with the tightest bound proven: the solver's own and, when it was stopped,
    the linear ``relaxation``'s (solved here when not given). Both bound every valid plan
    (``tests/planning/test_bounds.py`` checks them against a brute-force search), so the gap is an upper limit of the
    loss, never an estimate.
    """
    bounds = [outcome.bound] if outcome.bound is not None else []
    if outcome.status == "optimal":  # the solver proved its plan within the requested gap
        # Within that gap a (cheap) greedy plan may still be better: keep whichever is.
        best = max((s for s in (outcome.starts, _greedy_starts(p), seed) if s is not None), key=p.objective)
    else:
        # Stopped by the time limit (or not started): keep the best of the solver's plan, the greedy one and the one
        # the linear relaxation guides, then improve it until the time is up: first by ruin and recreate (cheap
        # rounds, many of them), then by re-optimizing parts of it with the solver.
        if relaxation is None:
            relaxation = _solve(p, relaxed=True, time_limit=max(0.05, deadline - time.monotonic()))
        guided, relaxed_bound = _guided_starts(p, relaxation)
        bounds += [relaxed_bound] if relaxed_bound is not None else []
        solved = outcome.starts if outcome.status == "feasible" else None
        found = [s for s in (solved, _greedy_starts(p), guided, seed) if s is not None]
        if not found:
            return None, 1.0
        now = time.monotonic()
        best = _repack(p, max(found, key=p.objective), now + (deadline - now) * REPACK_SHARE)
        best = _improve(p, best, deadline)
    starts = _prune(p, best)
    objective = p.objective(starts)
    bound = max(min(bounds, default=math.inf), objective)
    gap = 0.0 if bound <= objective else min(1.0, (bound - objective) / max(abs(objective), 1e-12))
    return starts, gap


def greedy_plan(fw: Framework, result: Result, request: PlanRequest) -> Plan:
    """The baseline: rank by value ÷ effort and schedule first-fit under the same constraints (no solver)."""
    validate_request(fw, result, request)
    p = _prepare(fw, result, request)
    static = _static_problems(p)
    if static:
        return _infeasible(p, static)
    p.lead = _lead(p)
    starts = _greedy_starts(p)
    if starts is None:
        return _infeasible(p, [phrase(N_("The greedy ranking could not place every must-do and locked initiative."))])
    return _plan(p, starts, "feasible", 1.0)


def action_values(fw: Framework, result: Result, request: PlanRequest) -> dict[str, float]:
    """Return every candidate's value in the objective (before the early-start bonus), by key."""
    validate_request(fw, result, request)
    p = _prepare(fw, result, request)
    return {c.key: float(p.value[i]) for i, c in enumerate(p.cands)}


@dataclass(frozen=True)
class Window:
    """The periods an initiative may be locked to start in without breaking an order by itself.

    ``earliest`` waits for its prerequisites (and the step below) to be able to finish, counting locked ones at their
    locked periods; ``latest`` lets it finish within the horizon and before a locked initiative that requires it.
    ``why_earliest`` / ``why_latest`` name the dependency or limit that sets each bound ("" for the horizon's own
    ends). A window says nothing of the budget, capacity or running-at-once limits: the re-plan checks those.
    """

    earliest: int
    latest: int
    why_earliest: str = ""
    why_latest: str = ""
    #: ``why_earliest`` / ``why_latest`` as phrases, for each reader's language (None where the string is "").
    why_earliest_phrase: Phrase | None = None
    why_latest_phrase: Phrase | None = None


def start_windows(fw: Framework, result: Result, request: PlanRequest) -> dict[str, Window]:
    """Return, by key, the window of every candidate that can be chosen at all (see ``Window``).

    The locks of ``request`` are those of the plan being edited; a candidate's own lock is left out of its window,
    because moving it replaces that lock.
    """
    validate_request(fw, result, request)
    p = _prepare(fw, result, request)
    memo: dict[int, tuple[int, Phrase | None]] = {}

    def finish(b: int, depth: int) -> tuple[int, bool]:
        """The first period after ``b`` at the earliest, and whether a lock keeps it from being sooner."""
        if b in p.locks:
            return p.locks[b] + int(p.dur[b]), True
        start, _ = earliest(b, depth + 1)
        return start + int(p.dur[b]), False

    def earliest(i: int, depth: int = 0) -> tuple[int, Phrase | None]:
        if i in memo:
            return memo[i]
        memo[i] = (1, None)  # a cycle (through the step below) counts as no wait; the solver refuses it anyway
        best, why = 1, None
        if depth <= p.n:
            for b in p.prereqs[i]:
                end, locked = finish(b, depth)
                if end > best:
                    num = int(p.dur[b])
                    detail = (
                        plural_phrase(
                            N_("it is locked to start in period %(start)s and takes %(num)s period"),
                            N_("it is locked to start in period %(start)s and takes %(num)s periods"),
                            "num",
                            start=p.locks[b],
                            num=num,
                        )
                        if locked
                        else plural_phrase(
                            N_("it takes %(num)s period"), N_("it takes %(num)s periods"), "num", num=num
                        )
                    )
                    best = end
                    why = phrase(
                        N_(
                            "it requires %(prerequisite)s, which can finish by period %(end)s at the earliest "
                            "(%(detail)s)"
                        ),
                        prerequisite=_ini(p, b),
                        end=end - 1,
                        detail=detail,
                    )
            g = p.gate[i]
            if g:
                options = [(finish(b, depth)[0], b) for b in g if p.eligible[b]]
                if options:
                    end, b = min(options)
                    if end > best:
                        best = end
                        why = phrase(
                            N_(
                                "no stage is skipped: an initiative of stage %(stage)s of %(competency)s must finish "
                                "first, at the earliest by period %(end)s (%(initiative)s)"
                            ),
                            stage=_stage(p, int(p.frm[i]) - 1),
                            competency=_comp(p, p.comp[i]),
                            end=end - 1,
                            initiative=_ini(p, b),
                        )
        memo[i] = (best, why)
        return memo[i]

    out: dict[str, Window] = {}
    for i in range(p.n):
        if not p.eligible[i]:
            continue
        start, why = earliest(i)
        latest, why_latest = p.horizon - int(p.dur[i]) + 1, None
        for a, locked in p.locks.items():
            if i in p.prereqs[a] and locked - int(p.dur[i]) < latest:
                latest = locked - int(p.dur[i])
                why_latest = phrase(
                    N_("%(initiative)s requires it and is locked to start in period %(start)s"),
                    initiative=_ini(p, a),
                    start=locked,
                )
        out[p.cands[i].key] = Window(
            start,
            latest,
            str(why) if why else "",
            str(why_latest) if why_latest else "",
            why,
            why_latest,
        )
    return out

"""Where the bound of the large planning instances comes from: the measurements of docs/planning.md, section 10.

Usage: ``python -m bench.planning_bound_study [SEED ...] [--root] [--prices K] [--mps DIR]`` (default seed 1). For each
SYNTHETIC instance of ``bench_planning`` it prints

- the linear relaxation's bound, how full each period's limits are in its solution, and how its fractional starts
  meet the "no skipping stages" rule (``gate`` rows: ``z[a, t] <= sum of z[b, t - dur(b)]`` over the step below);
- the relaxation's bound without that rule, with a stricter one (every candidate of the step below finished: NOT the
  product's rule, which asks for one of them; shown only to size it), and with a column per step and period,
  "the step below has finished by t", between the two sides of the rule;
- the Lagrangian bound with the budget and capacity rows priced at the relaxation's duals and everything else
  (order, the stage rule, concurrency, whole starts) solved exactly: when it equals the relaxation's bound, no
  inequality valid for those other rules alone can tighten it;
- with ``--root``: HiGHS's bound after presolve and the root node's cuts (heuristics off, one node) for the program
  as the optimizer built it before and with the start columns in the per-period limits (``_build``'s
  ``start_columns``), with the CPU seconds each took;
- with ``--prices K``: the same Lagrangian at K prices drawn around the duals (each within 50% of it, seed 0), its
  rest solved once as a linear program and once exactly. Where the two agree, the rest has no integrality gap at
  those prices, and no choice of prices can make the Lagrangian bound much tighter than the relaxation's;
- with ``--mps DIR``: the whole program as the optimizer builds it (start columns included) written to
  ``DIR/instance-SEED.mps``, so that other solvers can be measured on exactly the same program.

Bounds are deterministic for the linear programs; the root bounds vary by about 0.05% with HiGHS's random seed.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array, csr_array, hstack, vstack

from bench.bench_planning import planning_instance
from cxmaturity.planning.optimizer import _build, _lead, _prepare, _Problem, _Program


def _problem(seed: int) -> _Problem:
    fw, result, request = planning_instance(seed)
    p = _prepare(fw, result, request)
    p.lead = _lead(p)
    return p


def _program(p: _Problem, **options: Any) -> _Program:
    """The program ``_build`` makes (the benchmark's instances are never infeasible before solving)."""
    built = _build(p, **options)
    assert isinstance(built, _Program), built
    return built


def _highs(
    objective: npt.NDArray[np.float64],
    lb: npt.NDArray[np.float64],
    ub: npt.NDArray[np.float64],
    matrix: Any,
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
    integrality: npt.NDArray[np.float64] | None = None,
    **options: Any,
) -> tuple[Any, float]:
    """Minimize with HiGHS; return the solver (for its solution and info) and the CPU seconds it took."""
    import highspy

    h: Any = highspy._Highs()  # type: ignore[attr-defined]
    h.setOptionValue("output_flag", False)
    for key, value in options.items():
        h.setOptionValue(key, value)
    inf = highspy.kHighsInf
    a = csr_array(matrix).tocsc()
    lp: Any = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = int(objective.size), int(lo.size)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = objective, lb, np.where(np.isfinite(ub), ub, inf)
    lp.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(hi), hi, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    if integrality is not None:
        kinds = highspy.HighsVarType
        lp.integrality_ = [kinds.kInteger if flag else kinds.kContinuous for flag in integrality]
    h.passModel(lp)
    cpu = time.process_time()
    h.run()
    return h, time.process_time() - cpu


def _matrix(b: _Program) -> csr_array:
    return coo_array((b.vals, (b.rows, b.cols)), shape=(len(b.lo), len(b.lb))).tocsr()


def _gate_rows(p: _Problem, b: _Program, a_csr: csr_array) -> list[tuple[int, int, int]]:
    """The rows of the stage rule: (row, candidate a, period t) for ``z[a, t] <= sum of z[b, t - dur(b)]``."""
    found = []
    for r in range(a_csr.shape[0]):
        cols = a_csr.indices[a_csr.indptr[r] : a_csr.indptr[r + 1]]
        vals = a_csr.data[a_csr.indptr[r] : a_csr.indptr[r + 1]]
        pos, neg = cols[vals > 0], cols[vals < 0]
        if pos.size != 1 or neg.size == 0 or b.hi[r] != 0:
            continue
        a = int(b.vi[pos[0]])
        below = {int(b.vi[c]) for c in neg}
        gate = p.gate[a]
        if a in below or gate is None or not below <= set(gate):
            continue
        if len(below) == 1 and next(iter(below)) in p.prereqs[a]:
            continue  # a prerequisite's row (the same as a one-candidate gate's; kept as a prerequisite)
        found.append((r, a, int(b.vt[pos[0]])))
    return found


def _value(h: Any) -> float:
    return -float(h.getInfo().objective_function_value)


def _variant(p: _Problem, b: _Program, a_csr: csr_array, gates: list[tuple[int, int, int]], kind: str) -> float:
    """The relaxation's bound with the stage rule dropped ("none"), every candidate of the step below required
    ("all"), or written with a column per step and period between its two sides ("step")."""
    keep = np.ones(a_csr.shape[0], dtype=bool)
    keep[[g[0] for g in gates]] = False
    base = a_csr[keep]
    lo, hi = np.array(b.lo)[keep], np.array(b.hi)[keep]
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    row_hi: list[float] = []
    n = len(b.lb)
    ub = b.ub.copy()
    extra = 0
    step_col: dict[tuple[str, int, int], int] = {}

    def z(i: int, t: int) -> int | None:
        return None if t < 1 or b.last[i] == 0 else int(b.first[i]) + min(t, int(b.last[i]))

    def row(entries: list[tuple[int, float]]) -> None:
        """Add ``sum of entries <= 0``."""
        index = len(row_hi)
        for c, v in entries:
            rows.append(index)
            cols.append(c)
            vals.append(v)
        row_hi.append(0.0)

    for _, a, t in gates:
        here = int(b.first[a]) + t
        usable = [j for j in p.gate[a] or () if b.last[j] > 0]
        if kind == "all":
            for j in usable:
                c = z(j, t - int(p.dur[j]))
                if c is None:
                    ub[here] = 0.0
                else:
                    row([(here, 1.0), (c, -1.0)])
        elif kind == "step":
            key = (p.comp[a], int(p.frm[a]) - 1, t)
            if key not in step_col:
                step_col[key] = n + extra
                extra += 1
                below = [(c, -1.0) for j in usable if (c := z(j, t - int(p.dur[j]))) is not None]
                row([(step_col[key], 1.0), *below])
            row([(here, 1.0), (step_col[key], -1.0)])
    # "The step below has finished by t" never falls.
    for (comp, stage, t), k in step_col.items():
        if (comp, stage, t + 1) in step_col:
            row([(k, 1.0), (step_col[(comp, stage, t + 1)], -1.0)])
    width = n + extra
    added = coo_array((vals, (rows, cols)), shape=(len(row_hi), width))
    matrix = vstack([hstack([base, coo_array((base.shape[0], extra))]), added])
    objective = np.concatenate([b.objective, np.zeros(extra)])
    lb = np.concatenate([b.lb, np.zeros(extra)])
    ub = np.concatenate([ub, np.ones(extra)])
    h, _ = _highs(objective, lb, ub, matrix, np.concatenate([lo, np.full(len(row_hi), -np.inf)]), np.append(hi, row_hi))
    return _value(h)


def study(seed: int, root: bool, prices: int = 0, mps: str | None = None) -> None:
    p = _problem(seed)
    b = _program(p, relaxed=True)
    a_csr = _matrix(b)
    lo, hi = np.array(b.lo), np.array(b.hi)
    h, cpu = _highs(b.objective, b.lb, b.ub, a_csr, lo, hi)
    bound = _value(h)
    x = np.array(h.getSolution().col_value)
    duals = np.array(h.getSolution().row_dual)
    print(f"instance {seed}: linear relaxation {bound:.4f} ({cpu:.2f} CPU s, {len(b.lb)} columns, {len(b.lo)} rows)")
    req, items = p.request, [int(i) for i in np.flatnonzero(b.last > 0)]

    def by(i: int, t: int) -> float:
        return 0.0 if t < 1 else float(x[int(b.first[i]) + min(t, int(b.last[i]))])

    for period in range(1, p.horizon + 1):
        run = np.array([by(i, period) - by(i, period - int(p.dur[i])) for i in items])
        cost = float(run @ (p.cost / p.dur)[items]) / float(req.budget or 1)
        effort = float(run @ (p.effort / p.dur)[items]) / float(req.capacity or 1)
        partly = int(((run > 1e-6) & (run < 1 - 1e-6)).sum())
        print(
            f"  period {period:2d}: budget {cost:6.1%}, capacity {effort:6.1%}, running {run.sum():4.2f} of "
            f"{req.max_concurrent} ({partly} in part)"
        )
    gates = _gate_rows(p, b, a_csr)
    tight = dodged = 0
    for r, a, t in gates:
        started = x[int(b.first[a]) + t]
        if started < 1e-7 or abs(a_csr[[r]] @ x)[0] > 1e-7:
            continue
        tight += 1
        finished = [by(j, t - int(p.dur[j])) for j in p.gate[a] or () if b.last[j] > 0]
        dodged += started > max(finished, default=0.0) + 1e-6
    print(
        f"  stage rule: {len(gates)} rows, {tight} tight with a start, {dodged} of them met only by adding up the "
        "finished shares of two or more candidates of the step below"
    )
    for kind, name in (("none", "without the stage rule"), ("all", "every candidate below (stricter, NOT valid)")):
        print(f"  relaxation {name}: {_variant(p, b, a_csr, gates, kind):.4f}")
    print(f"  relaxation with a column per step and period: {_variant(p, b, a_csr, gates, 'step'):.4f}")
    # The Lagrangian: budget and capacity priced at the relaxation's duals, the rest solved exactly.
    rest = _program(p, relax=frozenset({"budget", "capacity"}))
    m_rest = len(rest.lo)
    limit_rows = np.arange(m_rest - p.horizon, m_rest + p.horizon)  # budget, then capacity (concurrency is last)
    duals_at_limits = -duals[limit_rows]

    def lagrangian(prices: npt.NDArray[np.float64], exact: bool) -> float:
        objective = b.objective + a_csr[limit_rows].T @ prices
        constant = -float(prices @ hi[limit_rows])
        args = (objective, rest.lb, rest.ub, _matrix(rest), np.array(rest.lo), np.array(rest.hi))
        if exact:
            h, _ = _highs(*args, rest.integrality, mip_rel_gap=1e-9, time_limit=120.0)
        else:
            h, _ = _highs(*args)
        return -(float(h.getInfo().objective_function_value) + constant)

    print(
        "  Lagrangian at the relaxation's duals (budget, capacity priced; the rest exact): "
        f"{lagrangian(duals_at_limits, exact=True):.4f}"
    )
    rng = np.random.default_rng(0)
    for _ in range(prices):
        drawn = duals_at_limits * (1.0 + 0.5 * rng.uniform(-1.0, 1.0, duals_at_limits.size))
        relaxed_rest, exact_rest = lagrangian(drawn, exact=False), lagrangian(drawn, exact=True)
        print(
            f"  Lagrangian at prices drawn around the duals: rest relaxed {relaxed_rest:.4f}, rest exact "
            f"{exact_rest:.4f} ({(relaxed_rest - exact_rest) / relaxed_rest:.2%} apart)"
        )
    if mps is not None:
        w = _program(p, start_columns=True)
        h, _ = _highs(
            w.objective, w.lb, w.ub, _matrix(w), np.array(w.lo), np.array(w.hi), w.integrality, time_limit=1e-3
        )
        h.writeModel(f"{mps}/instance-{seed}.mps")
        print(f"  whole program written to {mps}/instance-{seed}.mps")
    if root:
        for columns in (False, True):
            w = _program(p, start_columns=columns)
            h, cpu = _highs(
                w.objective,
                w.lb,
                w.ub,
                _matrix(w),
                np.array(w.lo),
                np.array(w.hi),
                w.integrality,
                mip_max_nodes=1,
                mip_heuristic_effort=0.0,
                time_limit=120.0,
            )
            what = "with start columns" if columns else "started-by columns only"
            print(f"  HiGHS root bound, {what}: {-float(h.getInfo().mip_dual_bound):.4f} ({cpu:.1f} CPU s)")


def main(args: list[str]) -> None:
    root, prices, mps, seeds = False, 0, None, []
    rest = iter(args)
    for arg in rest:
        if arg == "--root":
            root = True
        elif arg == "--prices":
            prices = int(next(rest))
        elif arg == "--mps":
            mps = next(rest)
        else:
            seeds.append(int(arg))
    for seed in seeds or [1]:
        study(seed, root, prices, mps)


if __name__ == "__main__":
    main(sys.argv[1:])

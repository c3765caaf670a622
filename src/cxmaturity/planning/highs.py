"""The roadmap's whole program solved with HiGHS through ``highspy`` (``optimizer._solve`` builds it).

``scipy.optimize.milp`` runs the same solver, but an older release, and it takes no starting plan. Given the plan the
local search found first (``start``), HiGHS prunes with it from its first node and keeps at least it; and its bound
after presolve and the root node's cuts is proven whenever it stops: on 300 actions x 12 periods that bound is
reached within a second or two where the raw linear relaxation is 1 to 6% looser (docs/planning.md, section 10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csc_array


@dataclass(frozen=True)
class Solved:
    """What ``solve`` found, in ``scipy.optimize.milp``'s terms: ``status`` 0 optimal (within the gap), 1 stopped
    by the time limit, 2 infeasible, 4 another failure; ``x`` the best solution (None when none); ``fun`` its
    objective; ``dual_bound`` the proven lower bound of the minimized objective (None when none was proven)."""

    status: int
    x: npt.NDArray[np.float64] | None
    fun: float
    dual_bound: float | None
    message: str


def solve(
    objective: npt.NDArray[np.float64],
    integrality: npt.NDArray[np.float64],
    lb: npt.NDArray[np.float64],
    ub: npt.NDArray[np.float64],
    matrix: csc_array | None,
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
    *,
    time_limit: float,
    mip_gap: float,
    start: npt.NDArray[np.float64] | None = None,
) -> Solved:
    """Minimize ``objective · x`` subject to ``lo <= matrix x <= hi`` and ``lb <= x <= ub``, integral where
    ``integrality`` is 1, starting from the feasible solution ``start`` when given."""
    import highspy

    # The bare solver: ``highspy.Highs`` installs a Python callback whose first use prints HiGHS's banner to the
    # process's standard output, which would corrupt ``cxm plan --format json``.
    h: Any = highspy._Highs()  # type: ignore[attr-defined]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    inf = highspy.kHighsInf
    n = int(objective.size)
    lp: Any = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = int(lo.size)
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.col_cost_ = np.asarray(objective, dtype=np.float64)
    lp.col_lower_ = np.asarray(lb, dtype=np.float64)
    lp.col_upper_ = np.where(np.isfinite(ub), ub, inf)
    lp.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(hi), hi, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    if matrix is not None and lo.size:
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    else:
        lp.a_matrix_.start_ = np.zeros(n + 1, dtype=np.int32)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integrality
    ]
    h.passModel(lp)
    if start is not None:
        given: Any = highspy.HighsSolution()
        given.col_value = [float(v) for v in start]
        given.value_valid = True
        h.setSolution(given)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    dual = float(info.mip_dual_bound)
    dual_bound = dual if math.isfinite(dual) else None
    codes = {
        highspy.HighsModelStatus.kOptimal: 0,
        highspy.HighsModelStatus.kTimeLimit: 1,
        highspy.HighsModelStatus.kIterationLimit: 1,
        highspy.HighsModelStatus.kSolutionLimit: 1,
        highspy.HighsModelStatus.kInterrupt: 1,
        highspy.HighsModelStatus.kInfeasible: 2,
    }
    code = codes.get(status, 4)
    # A solution counts only when HiGHS says it is feasible (primal solution status 2).
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if info.primal_solution_status == 2 else None
    if x is not None and x.size != n:
        x = None
    fun = float(info.objective_function_value) if x is not None else math.inf
    return Solved(code, x, fun, dual_bound if code != 2 else None, h.modelStatusToString(status))

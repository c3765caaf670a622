"""Simulation study of the NPS interval and the change verdict (docs/outcomes.md), on SYNTHETIC samples.

For populations of detractors, passives and promoters and n respondents per month, draws pairs of independent samples
of one population (seed 0) and prints how often a change is called when nothing changed (false alarms; the rule
allows 10%), with the test as shipped and with the pseudo-respondents in the variance only, and how often the 90%
interval of NPS covers the population's NPS. Usage: ``python bench/outcomes_study.py [PAIRS]``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cxmaturity.outcomes.metrics import DECISIVE, NPS_PSEUDO, Tally, change, nps

POPULATIONS = ((0.2, 0.3, 0.5), (0.4, 0.3, 0.3), (0.05, 0.15, 0.8), (0.02, 0.08, 0.9))
SIZES = (5, 10, 30, 100)


def _tally(counts: np.ndarray) -> Tally:
    values = [0] * 11
    values[0], values[7], values[10] = (int(c) for c in counts)
    return Tally("nps", tuple(values), 0)


def _variance_only(before: np.ndarray, after: np.ndarray) -> bool:
    """The alternative: observed difference, pseudo-respondents in the variance only."""
    pd, pa, pp = NPS_PSEUDO
    sides = []
    for d, a, p in (before, after):
        m = d + a + p + pd + pa + pp
        mean = (p + pp - d - pd) / m
        sides.append(((p - d) / (d + a + p), ((p + pp) / m + (d + pd) / m - mean**2) / m, m - 1))
    se2 = sides[0][1] + sides[1][1]
    df = se2**2 / (sides[0][1] ** 2 / sides[0][2] + sides[1][1] ** 2 / sides[1][2])
    probability = float(stats.t.cdf((sides[1][0] - sides[0][0]) / math.sqrt(se2), df))
    return probability >= DECISIVE or probability <= 1 - DECISIVE


def main(pairs: int = 4000) -> None:
    rng = np.random.default_rng(0)
    print("population (D, P, Pr)   n   false alarms (shipped)   (variance only)   coverage of the 90% interval")
    for population in POPULATIONS:
        truth = 100 * (population[2] - population[0])
        for n in SIZES:
            a = rng.multinomial(n, population, size=pairs)
            b = rng.multinomial(n, population, size=pairs)
            pairs_ = list(zip(a, b, strict=True))
            shipped = np.mean([change(_tally(x), _tally(y)).verdict != "no clear change" for x, y in pairs_])
            alternative = np.mean([_variance_only(x, y) for x, y in pairs_])
            results = [nps(_tally(x)) for x in a]
            coverage = np.mean([r is not None and r.interval[0] <= truth <= r.interval[1] for r in results])
            print(f"{population!s:<22} {n:>3}   {shipped:>20.1%}   {alternative:>15.1%}   {coverage:>12.1%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)

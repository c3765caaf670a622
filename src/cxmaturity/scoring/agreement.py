"""Agreement between respondents, computed from answer counts on the option index (0 … A-1).

We use the option's position rather than its normalized value so that the "no agreement" null of James, Demaree &
Wolf (1984) applies as published: a uniform (rectangular) distribution over the A options, with variance
sigma²_EU = (A² - 1) / 12 (2 for five options). docs/scoring.md section 7 states every formula with its source.

Per indicator: SD, the average deviation from the mean (AD; acceptable when AD <= A/6),
rwg = 1 - s²/sigma²_EU, and whether the indicator is *polarised* (s² > sigma²_EU: answers pile up at both ends, more
split than random answering would be; rwg is then out of range and reported as 0, no agreement).

Per competency, over its J indicators with at least two answers, with r̄ the mean of their ratios s²/sigma²_EU:

- rwg(j) = J(1 - r̄) / (J(1 - r̄) + r̄) (James, Demaree & Wolf 1984). Averaging the ratios rather than the variances
  lets indicators with different numbers of options combine; when every indicator has the same A, r̄ = s̄²/sigma²_EU
  and this is the published formula exactly. No ratio is capped before averaging: capping hides a polarised team.
  For r̄ >= 1 the formula leaves [0, 1] (negative, or above 1 when r̄ > 1 + 1/(J - 1)); it is then reported as 0, no
  agreement, the convention of James et al. and LeBreton & Senter (2008), with ``rwg_out_of_range`` set.
- r*wg(j) = 1 - r̄ (Lindell, Brandt & Whitney 1999): not floored, so a polarised team shows how polarised it is
  (-1 when everyone picks one of the two end options, half each, on a 5-point scale).
- The competency is polarised when r*wg(j) < 0 (r̄ > 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from cxmaturity.scoring.layout import FloatArray, Layout

#: Conventional cut-off: rwg below this means the team does not agree.
RWG_CUTOFF = 0.70

#: The null ("no agreement") distribution the variance ratios are measured against, as the result states it.
NULL_DISTRIBUTION: Final = "uniform over the A answer options (option index 0 … A-1), variance (A² - 1) / 12"

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class IndicatorAgreement:
    """Arrays over indicators; NaN (False for flags) where fewer than two respondents answered."""

    n: FloatArray
    mean_index: FloatArray
    sd: FloatArray
    ad: FloatArray
    rwg: FloatArray
    variance_ratio: FloatArray  # s² / sigma²_EU, uncapped: how far from consensus, comparable across scales
    ad_cutoff: FloatArray
    #: s² > sigma²_EU: more spread than the uniform null, i.e. two camps; rwg is out of range (reported as 0).
    polarised: BoolArray


def indicator_agreement(counts: FloatArray, layout: Layout) -> IndicatorAgreement:
    k = np.arange(layout.max_options, dtype=np.float64)
    n = counts.sum(axis=-1)
    safe_n = np.where(n > 0, n, 1.0)
    mean = (counts * k).sum(axis=-1) / safe_n
    sq_dev = (counts * (k - mean[..., np.newaxis]) ** 2).sum(axis=-1)
    abs_dev = (counts * np.abs(k - mean[..., np.newaxis])).sum(axis=-1)
    enough = n >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.where(enough, sq_dev / np.where(enough, n - 1, 1.0), np.nan)
        ad = np.where(enough, abs_dev / safe_n, np.nan)
    options = layout.options.astype(np.float64)
    sigma2 = (options**2 - 1.0) / 12.0
    ratio = variance / sigma2
    polarised = np.asarray(ratio > 1.0 + 1e-12, dtype=np.bool_)  # NaN compares False
    return IndicatorAgreement(
        n=n,
        mean_index=np.where(n > 0, mean, np.nan),
        sd=np.sqrt(variance),
        ad=ad,
        # Out of range (ratio above 1) is reported as 0, no agreement; NaN stays NaN.
        rwg=np.where(polarised, 0.0, 1.0 - ratio),
        variance_ratio=ratio,
        ad_cutoff=options / 6.0,
        polarised=polarised,
    )


@dataclass(frozen=True)
class CompetencyAgreement:
    """Arrays over competencies; NaN (False for flags) where no indicator has two answers."""

    sd: FloatArray
    ad: FloatArray
    rwg: FloatArray
    rwg_lindell: FloatArray
    items: FloatArray
    #: The mean variance ratio r̄ (NaN without items): the quantity both indices are built from.
    mean_ratio: FloatArray
    #: r̄ > 1, where the published rwg(j) formula leaves [0, 1] (at r̄ = 1 it is exactly 0): rwg(j) is reported as 0.
    rwg_out_of_range: BoolArray
    #: r*wg(j) < 0 (r̄ > 1): the team is more split than random answering, two camps.
    polarised: BoolArray


def competency_agreement(ind: IndicatorAgreement, layout: Layout) -> CompetencyAgreement:
    c = layout.n_competencies
    group = layout.indicator_competency
    has = ~np.isnan(ind.variance_ratio)
    j = np.bincount(group[has], minlength=c).astype(np.float64)

    def mean_of(values: FloatArray) -> FloatArray:
        total = np.bincount(group[has], weights=values[has], minlength=c)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(j > 0, total / np.where(j > 0, j, 1.0), np.nan)

    ratio = mean_of(ind.variance_ratio)  # uncapped, as published
    # r̄ = 1 gives exactly 0 by the formula; above it the formula leaves [0, 1]. Allow for rounding in the sums.
    at_or_above = np.asarray(ratio >= 1.0 - 1e-12, dtype=np.bool_)
    polarised = np.asarray(ratio > 1.0 + 1e-12, dtype=np.bool_)
    with np.errstate(invalid="ignore", divide="ignore"):
        rwg_j = np.where(ratio > 0, j * (1 - ratio) / (j * (1 - ratio) + ratio), 1.0)
    rwg_j = np.where(at_or_above, 0.0, rwg_j)
    return CompetencyAgreement(
        sd=mean_of(ind.sd),
        ad=mean_of(ind.ad),
        rwg=np.where(j > 0, rwg_j, np.nan),
        # A sample variance (n - 1) can exceed the population maximum of a two-point split for tiny n (two people at
        # opposite ends of five options: s² = 8, ratio 4), which would put r*wg(j) below its published floor of -1;
        # we clip to [-1, 1] for that reason only.
        rwg_lindell=np.clip(1.0 - ratio, -1.0, 1.0),
        items=j,
        mean_ratio=ratio,
        rwg_out_of_range=polarised,
        polarised=polarised,
    )


def disagreement_order(ind: IndicatorAgreement) -> list[int]:
    """Return the indicators the team disagrees on (rwg < cut-off or AD above A/6), most disputed first."""
    flagged = (ind.rwg < RWG_CUTOFF) | (ind.ad > ind.ad_cutoff)
    candidates = np.flatnonzero(flagged & ~np.isnan(ind.rwg))
    # Rank by the uncapped variance ratio: two opposed camps (ratio > 1) outrank a merely spread-out team.
    order = sorted(candidates.tolist(), key=lambda i: (-ind.variance_ratio[i], -ind.ad[i], i))
    return [int(i) for i in order]

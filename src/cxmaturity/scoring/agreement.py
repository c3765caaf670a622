"""Agreement between respondents, computed from answer counts on the option index (0 … A-1).

We use the option's position rather than its normalized value so that the uniform ("no agreement") null of James,
Demaree & Wolf applies as published: with A options its variance is sigma²_EU = (A² - 1) / 12.

Per indicator: SD, the average deviation from the mean (AD; acceptable when AD <= A/6) and
rwg = 1 - s² / sigma²_EU, with s² capped at sigma²_EU.
Per competency: rwg(j) over its J answered indicators, using the mean of the indicators' variance ratios
s²/sigma²_EU (so indicators with different numbers of options can be combined), Lindell's r*wg(j) = 1 - that mean,
and the means of the indicators' SD and AD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxmaturity.scoring.layout import FloatArray, Layout

#: Conventional cut-off: rwg below this means the team does not agree.
RWG_CUTOFF = 0.70


@dataclass(frozen=True)
class IndicatorAgreement:
    """Arrays over indicators; NaN where fewer than two respondents answered."""

    n: FloatArray
    mean_index: FloatArray
    sd: FloatArray
    ad: FloatArray
    rwg: FloatArray
    variance_ratio: FloatArray  # s² / sigma²_EU, uncapped: how far from consensus, comparable across scales
    ad_cutoff: FloatArray


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
    return IndicatorAgreement(
        n=n,
        mean_index=np.where(n > 0, mean, np.nan),
        sd=np.sqrt(variance),
        ad=ad,
        rwg=1.0 - np.minimum(ratio, 1.0),
        variance_ratio=ratio,
        ad_cutoff=options / 6.0,
    )


@dataclass(frozen=True)
class CompetencyAgreement:
    """Arrays over competencies; NaN where no indicator has two answers."""

    sd: FloatArray
    ad: FloatArray
    rwg: FloatArray
    rwg_lindell: FloatArray
    items: FloatArray


def competency_agreement(ind: IndicatorAgreement, layout: Layout) -> CompetencyAgreement:
    c = layout.n_competencies
    group = layout.indicator_competency
    has = ~np.isnan(ind.variance_ratio)
    j = np.bincount(group[has], minlength=c).astype(np.float64)

    def mean_of(values: FloatArray) -> FloatArray:
        total = np.bincount(group[has], weights=values[has], minlength=c)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(j > 0, total / np.where(j > 0, j, 1.0), np.nan)

    ratio = mean_of(np.minimum(ind.variance_ratio, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        rwg_j = np.where(ratio > 0, j * (1 - ratio) / (j * (1 - ratio) + ratio), 1.0)
    return CompetencyAgreement(
        sd=mean_of(ind.sd),
        ad=mean_of(ind.ad),
        rwg=np.where(j > 0, rwg_j, np.nan),
        rwg_lindell=1.0 - ratio,
        items=j,
    )


def disagreement_order(ind: IndicatorAgreement) -> list[int]:
    """Return the indicators the team disagrees on (rwg < cut-off or AD above A/6), most disputed first."""
    flagged = (ind.rwg < RWG_CUTOFF) | (ind.ad > ind.ad_cutoff)
    candidates = np.flatnonzero(flagged & ~np.isnan(ind.rwg))
    # Rank by the uncapped variance ratio: two opposed camps (ratio > 1) outrank a merely spread-out team.
    order = sorted(candidates.tolist(), key=lambda i: (-ind.variance_ratio[i], -ind.ad[i], i))
    return [int(i) for i in order]

"""The scoring rules, written once over a table of answer counts and applied alike to a team, its groups and
posterior draws (any number of leading dimensions).

Fulfilment of stage s in a competency
    the mean, over the competency's stage-s evidence items that have answers, of the respondents' mean normalized
    answer to the item; dk and na answers are not counted.
Stage
    the highest stage s such that every stage from the second up to s has fulfilment >= threshold; otherwise the first.
Score
    stage number + fulfilment of the next stage / threshold, in [1, number of stages]. The fraction is below 1
    because the next stage is not met, so floor(score) is the stage number; the top stage scores its number. Raising an
    answer raises fulfilments, so the score never falls: either the stage stays and the fraction grows, or the stage
    rises and the score jumps past the old one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxmaturity.scoring.layout import FloatArray, Layout


@dataclass(frozen=True)
class Scores:
    """Scores over leading dimensions ``...``: fulfilment (..., C, S), stage index (..., C), score (..., C).

    Where a competency is not assessed its stage index is -1 and its score NaN."""

    fulfilment: FloatArray
    stage: npt.NDArray[np.intp]
    score: FloatArray
    #: (..., C): whether any of the competency's evidence was answered.
    assessed: npt.NDArray[np.bool_]


#: A tally keeps, per indicator, bins for "not applicable", "don't know" and "missing" before the option bins, so
#: that one bincount over the answer codes (-3, -2, -1, 0, 1, ...) counts everything without masking.
SPECIAL_BINS = 3


def answer_cells(answers: npt.NDArray[np.int16], layout: Layout) -> npt.NDArray[np.intp]:
    """Return (respondents, indicators): the cell of each answer in a flattened (indicator, 3 + options) table."""
    stride = layout.max_options + SPECIAL_BINS
    return (np.arange(layout.n_indicators, dtype=np.intp) * stride + SPECIAL_BINS)[np.newaxis, :] + answers


def tally(
    answers: npt.NDArray[np.int16],
    layout: Layout,
    group: npt.NDArray[np.intp] | None = None,
    n_groups: int = 1,
    *,
    cells: npt.NDArray[np.intp] | None = None,
) -> FloatArray:
    """Return counts of shape (groups, indicators, 3 + options): na, dk, missing, then each option.

    ``cells`` may hold ``answer_cells(answers, layout)`` when the caller has it (it is not changed).
    """
    m, stride = layout.n_indicators, layout.max_options + SPECIAL_BINS
    flat = answer_cells(answers, layout) if cells is None else cells
    if group is not None:
        flat = flat + (group * (m * stride))[:, np.newaxis]
    counts = np.bincount(flat.ravel(), minlength=n_groups * m * stride)
    return counts.reshape(n_groups, m, stride).astype(np.float64)


def count_answers(answers: npt.NDArray[np.int16], layout: Layout) -> FloatArray:
    """Return counts[i, k]: how many respondents chose option k of indicator i (missing, dk, na not counted)."""
    return tally(answers, layout)[0, :, SPECIAL_BINS:]


def item_means(counts: FloatArray, layout: Layout) -> FloatArray:
    """Return the mean normalized answer of every evidence item, NaN where an item has no answers."""
    per_item = counts[..., layout.evidence_indicator, :]  # (..., E, A)
    answered = per_item.sum(axis=-1)
    total = (per_item * layout.value).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(answered > 0, total / np.where(answered > 0, answered, 1.0), np.nan)


def fulfilment(counts: FloatArray, layout: Layout) -> FloatArray:
    """Return fulfilment[..., c, s]; NaN where a stage has no answered evidence (always NaN for the first stage)."""
    means = item_means(counts, layout)
    has = ~np.isnan(means)
    sums = np.where(has, means, 0.0) @ layout.membership
    n = has.astype(np.float64) @ layout.membership
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(n > 0, sums / np.where(n > 0, n, 1.0), np.nan)
    return result.reshape(*result.shape[:-1], layout.n_competencies, layout.n_stages)


def scores_from_counts(counts: FloatArray, layout: Layout) -> Scores:
    """Apply the stage and score rules to counts of shape (..., indicators, options)."""
    return scores_from_fulfilment(fulfilment(counts, layout), layout)


def scores_from_fulfilment(ful: FloatArray, layout: Layout) -> Scores:
    """Apply the stage and score rules to fulfilments of shape (..., C, S).

    A competency none of whose stages has answered evidence is *not assessed*: stage -1 and score NaN, so that it
    can neither be mistaken for the first stage nor pull an overall score down.
    """
    assessed = np.asarray(~np.isnan(ful[..., 1:]).all(axis=-1), dtype=np.bool_)
    met = np.nan_to_num(ful[..., 1:], nan=0.0) >= layout.threshold  # (..., C, S-1)
    stage = np.cumprod(met, axis=-1).sum(axis=-1).astype(np.intp)  # 0-based index of the stage reached
    top = layout.n_stages - 1
    nxt = np.minimum(stage + 1, top)
    progress = np.take_along_axis(np.nan_to_num(ful, nan=0.0), nxt[..., np.newaxis], axis=-1)[..., 0]
    fraction = np.where(stage < top, np.clip(progress / layout.threshold, 0.0, np.nextafter(1.0, 0.0)), 0.0)
    return Scores(
        fulfilment=ful,
        stage=np.where(assessed, stage, -1).astype(np.intp),
        score=np.where(assessed, stage + 1.0 + fraction, np.nan),
        assessed=assessed,
    )


def overall_score(scores: FloatArray, layout: Layout) -> FloatArray:
    """Combine competency scores (..., C) into one overall score by the framework's rule.

    Competencies that are not assessed (NaN) are left out; with none assessed the overall is NaN too.
    """
    assessed = ~np.isnan(scores)
    if layout.overall == "weakest":
        # fmin skips NaN without the warning nanmin gives for a row that is all NaN.
        return np.asarray(np.fmin.reduce(scores, axis=-1), dtype=np.float64)
    if layout.overall == "mean":
        weights = np.where(assessed, layout.weights, 0.0)
        total = weights.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(
                np.where(total > 0, (np.nan_to_num(scores) * weights).sum(axis=-1) / total, np.nan), dtype=np.float64
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row has no median: NaN is the answer
        return np.asarray(np.nanmedian(scores, axis=-1), dtype=np.float64)

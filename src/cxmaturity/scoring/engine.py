"""Score an assessment: stage and score per competency and overall, with uncertainty, agreement, groups and gaps."""

from __future__ import annotations

import math
from itertools import repeat

import numpy as np
import numpy.typing as npt

from cxmaturity.frameworks.model import Framework
from cxmaturity.scoring.agreement import (
    CompetencyAgreement,
    IndicatorAgreement,
    competency_agreement,
    disagreement_order,
    indicator_agreement,
)
from cxmaturity.scoring.layout import FloatArray, Layout, layout_for
from cxmaturity.scoring.responses import IMPORTANCE_NEUTRAL, IMPORTED, INDEPENDENT, ResponseMatrix
from cxmaturity.scoring.result import (
    Agreement,
    BlindSpot,
    CompetencyResult,
    DiscussionItem,
    Gap,
    GroupCompetency,
    GroupResult,
    IndicatorResult,
    Overall,
    Result,
    ScoringOptions,
)
from cxmaturity.scoring.rules import SPECIAL_BINS, Scores, answer_cells, overall_score, scores_from_counts, tally
from cxmaturity.scoring.uncertainty import Uncertainty, estimate


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _stage_of(score: float) -> int:
    """Return the 0-based stage index of a score (floor of the score, counted from 1)."""
    return math.floor(score + 1e-12) - 1


def _stage_key(fw: Framework, score: float) -> str | None:
    return None if math.isnan(score) else fw.stage_keys[_stage_of(score)]


def validate_targets(fw: Framework, targets: dict[str, str]) -> list[str]:
    """Return messages for targets that name an unknown competency or stage."""
    problems = []
    competencies = [c.key for c in fw.competencies]
    for comp, stage in targets.items():
        if comp not in competencies:
            problems.append(f"unknown competency '{comp}' (known: {', '.join(competencies)})")
        elif stage not in fw.stage_keys:
            problems.append(f"unknown stage '{stage}' for '{comp}' (known: {', '.join(fw.stage_keys)})")
    return problems


def score(responses: ResponseMatrix, options: ScoringOptions | None = None) -> Result:
    """Score every respondent's answers to ``responses.framework``."""
    options = options or ScoringOptions()
    fw = responses.framework
    problems = validate_targets(fw, options.targets)
    if problems:
        raise ValueError("; ".join(problems))
    layout = layout_for(fw)
    # A respondent without a single usable answer (all dk, na or missing) is no evidence: they count nowhere, not in
    # n, not in a group's size, not in the small-team rules.
    usable = np.asarray((responses.answers >= 0).any(axis=1), dtype=np.bool_)
    excluded = int((~usable).sum())
    # Decided before the unusable are dropped: a respondent with nothing but don't know may still have commented, and
    # imported rows must not count as "every respondent" while that comment exists.
    counts_for_groups = responses.counts_for_groups()[usable]
    imports_only = responses.imports_only
    if excluded:
        responses = ResponseMatrix(
            fw,
            tuple(r for r, keep in zip(responses.respondents, usable, strict=True) if keep),
            tuple(g for g, keep in zip(responses.groups, usable, strict=True) if keep),
            responses.answers[usable],
            responses.importance[usable],
        )
    answers = responses.answers
    names, member = _group_index(responses)
    cells = answer_cells(answers, layout)
    by_group = tally(answers, layout, member, len(names) + 1, cells=cells)  # the last slot: respondents without a group
    everyone = by_group.sum(axis=0)
    counts = everyone[:, SPECIAL_BINS:]
    team = scores_from_counts(counts, layout)
    team_overall = float(overall_score(team.score, layout))
    ind_agree = indicator_agreement(counts, layout)
    comp_agree = competency_agreement(ind_agree, layout)
    uncertainty = estimate(
        answers, team.fulfilment, layout, draws=options.bootstrap, confidence=options.confidence, seed=options.seed
    )
    levels = respondent_levels(answers, layout, cells=cells)
    coverage, respondents_per_comp = _coverage(counts, levels, layout)
    importance = _importance(responses, layout)
    overall_levels = _overall_levels(levels, layout)
    overall_mean, overall_sd = _mean_sd(overall_levels)
    overall_angle_mean, overall_angle_sd = _mean_sd(angular(overall_levels))
    competencies = _competencies(
        fw, layout, team, uncertainty, comp_agree, coverage, respondents_per_comp, importance, levels, options
    )
    distributions = _distributions(fw, counts)
    expected = answers.size
    total_coverage = float(counts.sum() / expected) if expected else 0.0
    scores = [c.score for c in competencies if c.score is not None]
    counted = np.bincount(member[counts_for_groups], minlength=len(names) + 1)
    groups, withheld, blind_spots = _groups(fw, names, by_group, everyone, counted, layout, options)
    scored = not math.isnan(team_overall)
    overall_index = _stage_of(team_overall) if scored else None
    return Result(
        framework=fw.id,
        framework_version=fw.version,
        respondents=responses.size,
        overall=Overall(
            stage=fw.stage_keys[overall_index] if overall_index is not None else None,
            stage_number=overall_index + 1 if overall_index is not None else None,
            score=team_overall if scored else None,
            interval=(uncertainty.overall_lower, uncertainty.overall_upper) if uncertainty and scored else None,
            stage_probabilities=_probabilities(fw, uncertainty.overall_stage_probabilities)
            if uncertainty and scored
            else {},
            rule=layout.overall,
            respondent_mean=_num(overall_mean[0]),
            respondent_sd=_num(overall_sd[0]),
            respondent_angle_mean=_num(overall_angle_mean[0]),
            respondent_angle_sd=_num(overall_angle_sd[0]),
        ),
        competencies=competencies,
        weakest=tuple(c.key for c in competencies if c.score is not None and c.score <= min(scores) + 1e-9),
        strongest=tuple(c.key for c in competencies if c.score is not None and c.score >= max(scores) - 1e-9),
        coverage=total_coverage,
        low_coverage=total_coverage < options.low_coverage,
        indicators=_indicators(fw, everyone, layout, ind_agree, distributions),
        discussion_items=_discussion_items(fw, ind_agree, distributions),
        groups=groups,
        withheld_groups=withheld,
        blind_spots=blind_spots,
        gaps=_gaps(fw, competencies, options),
        options=options,
        not_assessed=tuple(c.key for c in competencies if c.score is None),
        excluded_respondents=excluded,
        groups_counted=IMPORTED if imports_only else INDEPENDENT,
    )


def _probabilities(fw: Framework, row: FloatArray) -> dict[str, float]:
    return {key: float(p) for key, p in zip(fw.stage_keys, row, strict=True)}


def _coverage(counts: FloatArray, levels: FloatArray, layout: Layout) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Return the share of expected answers given per competency, and how many respondents answered any of it.

    A respondent has a level in a competency (``respondent_levels``) exactly when they answered any of it.
    """
    n = levels.shape[0]
    given = np.bincount(layout.indicator_competency, weights=counts.sum(axis=-1), minlength=layout.n_competencies)
    expected = n * np.bincount(layout.indicator_competency, minlength=layout.n_competencies)
    coverage = given / np.maximum(expected, 1)
    return coverage, (~np.isnan(levels)).sum(axis=0).astype(np.intp)


def _importance(responses: ResponseMatrix, layout: Layout) -> FloatArray:
    """Return the mean importance answer per competency (NaN where nobody rated importance)."""
    values = responses.importance
    has = ~np.isnan(values)
    comp = np.broadcast_to(layout.indicator_competency, values.shape)
    total = np.bincount(comp[has], weights=values[has], minlength=layout.n_competencies)
    n = np.bincount(comp[has], minlength=layout.n_competencies)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.where(n > 0, n, 1), np.nan)


def _competencies(
    fw: Framework,
    layout: Layout,
    team: Scores,
    uncertainty: Uncertainty | None,
    agree: CompetencyAgreement,
    coverage: FloatArray,
    respondents: npt.NDArray[np.intp],
    importance: FloatArray,
    levels: FloatArray,
    options: ScoringOptions,
) -> tuple[CompetencyResult, ...]:
    out = []
    level_mean, level_sd = _mean_sd(levels)
    angle_mean, angle_sd = _mean_sd(angular(levels))
    for c, comp in enumerate(fw.competencies):
        assessed = bool(team.assessed[c])
        stage = int(team.stage[c])
        known = uncertainty is not None and assessed
        out.append(
            CompetencyResult(
                key=comp.key,
                stage=fw.stage_keys[stage] if assessed else None,
                stage_number=stage + 1 if assessed else None,
                score=float(team.score[c]) if assessed else None,
                interval=(float(uncertainty.lower[c]), float(uncertainty.upper[c]))
                if uncertainty is not None and assessed
                else None,
                interval_method=uncertainty.method if known and uncertainty is not None else "none",
                stage_probabilities=_probabilities(fw, uncertainty.stage_probabilities[c])
                if uncertainty is not None and assessed
                else {},
                fulfilment={key: _num(team.fulfilment[c, s]) for s, key in enumerate(fw.stage_keys) if s > 0},
                coverage=float(coverage[c]),
                low_coverage=bool(coverage[c] < options.low_coverage),
                respondents=int(respondents[c]),
                agreement=Agreement(
                    sd=_num(agree.sd[c]),
                    ad=_num(agree.ad[c]),
                    rwg=_num(agree.rwg[c]),
                    rwg_lindell=_num(agree.rwg_lindell[c]),
                    polarised=bool(agree.polarised[c]),
                    rwg_out_of_range=bool(agree.rwg_out_of_range[c]),
                ),
                importance=_num(importance[c]),
                respondent_mean=_num(level_mean[c]),
                respondent_sd=_num(level_sd[c]),
                respondent_angle_mean=_num(angle_mean[c]),
                respondent_angle_sd=_num(angle_sd[c]),
            )
        )
    return tuple(out)


def respondent_levels(
    answers: npt.NDArray[np.int16], layout: Layout, *, cells: npt.NDArray[np.intp] | None = None
) -> FloatArray:
    """Return (respondents, C): each respondent's *level* in each competency, the mean over the competency's
    indicators they answered of their normalized answer (NaN where they answered none of it).

    Every answer counts once: a statement's normalized option value, a rubric's stage as a share of the way up,
    (stage - 1) / (stages - 1), which is the mean of the rubric's evidence items. (The scoring rules count a rubric
    once per stage it evidences because they judge each stage; a respondent's level weighs their answers, and a
    rubric is one answer, not four.) ``cells`` may hold ``answer_cells(answers, layout)`` when the caller has it.
    """
    n, m = answers.shape
    if n == 0:
        return np.zeros((0, layout.n_competencies))
    stride = layout.max_options + SPECIAL_BINS
    # One table holds both numbers of a cell, the answer's normalized value as the real part and 1 (an answer) as the
    # imaginary part, so one gather and one sum do the work of two (complex addition adds each part exactly as alone).
    # Cells of dk, na and missing are 0 + 0i: neither value nor answer.
    items = np.bincount(layout.evidence_indicator, minlength=m)
    table = np.zeros((m, stride), dtype=np.complex128)
    np.add.at(table.real[:, SPECIAL_BINS:], layout.evidence_indicator, layout.value)
    table.real[:, SPECIAL_BINS:] /= items[:, np.newaxis]
    table.imag[:, SPECIAL_BINS:] = np.arange(layout.max_options) < layout.options[:, np.newaxis]
    flat = answer_cells(answers, layout) if cells is None else cells
    # Indicators of a competency are contiguous in framework order, so reduceat sums each competency's columns.
    starts = np.flatnonzero(np.r_[True, np.diff(layout.indicator_competency) != 0])
    summed = np.add.reduceat(table.ravel()[flat], starts, axis=1)
    total, count = summed.real, summed.imag
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)


def angular(levels: FloatArray) -> FloatArray:
    """Return 2 asin(sqrt(level)), the angular (arcsine square-root) transformation of levels in [0, 1].

    On a bounded scale the spread of levels shrinks towards its ends (everyone near "always" agrees), so a change near
    an end looks small against the spread in the middle. The transformation evens the spread out (Bartlett 1947;
    Anscombe 1948: a proportion's variance p(1 - p)/k becomes about 1/k), so that a change of the same strength of
    evidence reads the same anywhere on the scale. Its slope is 2 in the middle of the scale.
    """
    return np.asarray(2.0 * np.arcsin(np.sqrt(np.clip(levels, 0.0, 1.0))), dtype=np.float64)


def _mean_sd(levels: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the mean and sample SD over respondents (axis 0) of values that may be NaN."""
    has = ~np.isnan(levels)
    n = has.sum(axis=0)
    values = np.where(has, levels, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, values.sum(axis=0) / np.where(n > 0, n, 1), np.nan)
        sq = np.where(has, (levels - mean) ** 2, 0.0).sum(axis=0)
        sd = np.where(n > 1, np.sqrt(sq / np.where(n > 1, n - 1, 1)), np.nan)
    return mean, sd


def _overall_levels(levels: FloatArray, layout: Layout) -> FloatArray:
    """Return (respondents, 1): each respondent's weighted mean level over the competencies they answered."""
    has = ~np.isnan(levels)
    weights = np.where(has, layout.weights, 0.0)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_respondent = np.where(total > 0, (np.nan_to_num(levels) * weights).sum(axis=1) / total, np.nan)
    return per_respondent[:, np.newaxis]


def _distributions(fw: Framework, counts: FloatArray) -> list[dict[str, int]]:
    """Return each indicator's answer counts by option key (one conversion of the whole table, not one per row)."""
    rows = counts.astype(int).tolist()
    return [
        dict(zip(keys, row[: len(keys)], strict=True))
        for keys, row in zip((fw.answer_keys(ind) for _, ind in fw.indicators), rows, strict=True)
    ]


def _indicators(
    fw: Framework,
    everyone: FloatArray,
    layout: Layout,
    agree: IndicatorAgreement,
    distributions: list[dict[str, int]],
) -> tuple[IndicatorResult, ...]:
    counts = everyone[:, SPECIAL_BINS:]
    answered = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (counts * layout.mean_value).sum(axis=-1) / answered
    special = everyone[:, :SPECIAL_BINS].astype(int).tolist()
    return tuple(
        IndicatorResult(
            key=ind.key,
            competency=comp.key,
            answered=int(answered[i]),
            dont_know=special[i][1],
            not_applicable=special[i][0],
            mean=_num(means[i]),
            distribution=distributions[i],
            agreement=Agreement(
                sd=_num(agree.sd[i]),
                ad=_num(agree.ad[i]),
                rwg=_num(agree.rwg[i]),
                polarised=bool(agree.polarised[i]),
                # One indicator's rwg leaves [0, 1] exactly when its variance exceeds the null's: when it is polarised.
                rwg_out_of_range=bool(agree.polarised[i]),
            ),
        )
        for i, (comp, ind) in enumerate(fw.indicators)
    )


def _discussion_items(
    fw: Framework, agree: IndicatorAgreement, distributions: list[dict[str, int]]
) -> tuple[DiscussionItem, ...]:
    return tuple(
        DiscussionItem(
            indicator=fw.indicators[i][1].key,
            competency=fw.indicators[i][0].key,
            answered=int(agree.n[i]),
            sd=float(agree.sd[i]),
            ad=float(agree.ad[i]),
            rwg=float(agree.rwg[i]),
            distribution=dict(distributions[i]),
            polarised=bool(agree.polarised[i]),
        )
        for i in disagreement_order(agree)
    )


def _group_index(responses: ResponseMatrix) -> tuple[list[str], npt.NDArray[np.intp]]:
    """Return the sorted group names and each respondent's group index (len(names) for no group)."""
    names = sorted(g for g in set(responses.groups) if g)
    index = {name: n for n, name in enumerate(names)}
    # map() runs the lookups in C: a list comprehension over 5,000 respondents cost a tenth of scoring them.
    member = np.fromiter(
        map(index.get, responses.groups, repeat(len(names))), dtype=np.intp, count=len(responses.groups)
    )
    return names, member


def _shown_groups(sizes: npt.NDArray[np.int_], groups: int, min_size: int) -> list[int]:
    """Return the groups (of the first ``groups`` sizes; the last counts respondents without a group) that may be
    shown: each of at least ``min_size`` respondents, and together leaving out nobody or at least ``min_size``.

    Without the second rule, the team's result minus the shown groups' would describe the few respondents left out
    (a small group, or those without one). The smallest shown groups are then withheld too, until the rest is
    large enough (complementary suppression).
    """
    shown = sorted((g for g in range(groups) if sizes[g] >= min_size), key=lambda g: (sizes[g], g))
    total = int(sizes.sum())
    while shown and 0 < total - int(sizes[shown].sum()) < min_size:
        shown.pop(0)
    return sorted(shown)


def _groups(
    fw: Framework,
    names: list[str],
    by_group: FloatArray,
    everyone: FloatArray,
    counted: npt.NDArray[np.int_],
    layout: Layout,
    options: ScoringOptions,
) -> tuple[tuple[GroupResult, ...], int, tuple[BlindSpot, ...]]:
    """Score each group of at least ``min_group_size`` counted respondents; others are withheld and only counted.

    ``counted`` holds, per group (the last: respondents without one), the respondents that count towards its size
    (``ResponseMatrix.counts_for_groups``): every rule that decides what is shown uses these sizes, while a shown
    group's scores and respondent count include all its members.
    """
    if not names:
        return (), 0, ()
    # Every respondent has exactly one tally entry per indicator, so any indicator's bins count the group.
    sizes = by_group[:, 0, :].sum(axis=-1).astype(int)
    total = int(counted.sum())
    shown = _shown_groups(counted, len(names), options.min_group_size)
    counts = by_group[shown][:, :, SPECIAL_BINS:]
    group_scores = scores_from_counts(counts, layout)
    others = scores_from_counts(everyone[np.newaxis, :, SPECIAL_BINS:] - counts, layout)
    group_overall = overall_score(group_scores.score, layout)
    results = []
    spots = []
    for row, g in enumerate(shown):
        results.append(
            GroupResult(
                group=names[g],
                respondents=int(sizes[g]),
                overall_stage=_stage_key(fw, float(group_overall[row])),
                overall_score=_num(float(group_overall[row])),
                competencies=tuple(
                    GroupCompetency(
                        key=comp.key,
                        stage=fw.stage_keys[int(group_scores.stage[row, c])] if group_scores.assessed[row, c] else None,
                        score=_num(float(group_scores.score[row, c])),
                    )
                    for c, comp in enumerate(fw.competencies)
                ),
            )
        )
        # Comparing with everyone else is only safe when "everyone else" is itself a large enough group.
        if total - counted[g] < options.min_group_size:
            continue
        for c, comp in enumerate(fw.competencies):
            diff = float(group_scores.score[row, c] - others.score[row, c])
            if not math.isnan(diff) and diff >= options.blind_spot_margin:
                spots.append(
                    BlindSpot(
                        competency=comp.key,
                        group=names[g],
                        group_score=float(group_scores.score[row, c]),
                        others_score=float(others.score[row, c]),
                        difference=diff,
                    )
                )
    spots.sort(key=lambda s: -s.difference)
    return tuple(results), len(names) - len(shown), tuple(spots)


def holding_back(fw: Framework, competencies: tuple[CompetencyResult, ...], rule: str) -> tuple[str, ...]:
    """Return the competencies that hold the overall stage back: under the ``weakest`` rule, every assessed competency
    at the overall stage when that is below the top, because the overall cannot reach its next stage until each of
    them does (the weakest competency is always among them). Other rules have none: no single competency sets them.
    """
    stages = [c.stage_number for c in competencies if c.stage_number is not None]
    if rule != "weakest" or not stages:
        return ()
    overall = min(stages)
    if overall >= len(fw.stages):
        return ()
    return tuple(c.key for c in competencies if c.stage_number == overall)


def _gaps(fw: Framework, competencies: tuple[CompetencyResult, ...], options: ScoringOptions) -> tuple[Gap, ...]:
    """Return the gaps to target: those that hold the overall stage back first, then by importance-weighted size.

    priority = gap × weight × (mean importance / neutral importance); without importance answers the factor is 1.
    A competency that holds the overall stage back (``holding_back``) leads the list whatever its priority: its
    default target, its next stage, is the overall's next stage too, and a gap of 0.02 there is all that stands
    between the team and that stage. A target set at or below its stage is the team's choice: no gap, as for any.
    """
    top = len(fw.stages)
    back = set(holding_back(fw, competencies, fw.scoring.overall))
    gaps = []
    for comp, result in zip(fw.competencies, competencies, strict=True):
        if result.score is None or result.stage_number is None:
            continue  # not assessed: no evidence of a gap either way
        target = options.targets.get(comp.key) or fw.stage_keys[min(result.stage_number, top - 1)]
        target_number = fw.stage_number(target)
        size = max(0.0, target_number - result.score)
        if size <= 0:
            continue
        factor = (result.importance / IMPORTANCE_NEUTRAL) if result.importance is not None else 1.0
        gaps.append(
            Gap(
                competency=comp.key,
                score=result.score,
                target=target,
                target_number=target_number,
                gap=size,
                weight=comp.weight,
                importance=result.importance,
                priority=size * comp.weight * factor,
                holds_back=comp.key in back,
            )
        )
    gaps.sort(key=lambda g: (not g.holds_back, -g.priority, g.competency))
    return tuple(gaps)

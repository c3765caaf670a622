"""The results as tables: overall, per competency, per indicator, the answer distributions and the shown groups.

The numbers are the scored result's (``scoring.result``), rounded like the API's JSON (``scoring.serialize``): scores
are floored so that none reads as the next stage. Stage names and texts are in the framework's language. Only the
groups the results show have a row. A competency that is not assessed (no usable answer) has ``assessed`` false and
empty stage, score, interval and gap cells.
"""

from __future__ import annotations

import math

from cxmaturity.exports.model import Cell, Column, Table
from cxmaturity.frameworks.model import Framework, Statement
from cxmaturity.planning.wording import stage_name
from cxmaturity.reporting.charts import targets
from cxmaturity.scoring.display import floor_score
from cxmaturity.scoring.result import Result
from cxmaturity.scoring.serialize import DIGITS


def _num(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), DIGITS)


def _score(value: float | None) -> float | None:
    """A score cell: floored, never rounded up into the next stage."""
    return None if value is None or math.isnan(value) else floor_score(float(value), DIGITS)


def _interval(interval: tuple[float, float] | None) -> tuple[float | None, float | None]:
    return (None, None) if interval is None else (_num(interval[0]), _num(interval[1]))


def _stage_name(fw: Framework, key: str | None) -> str | None:
    return None if key is None else stage_name(fw, key)


OVERALL_COLUMNS = (
    Column("framework", "text", "The framework's id."),
    Column("framework_version", "text", "The framework's version."),
    Column("respondents", "integer", "Respondents with at least one usable answer (not dk, na or skipped)."),
    Column("excluded_respondents", "integer", "Respondents who answered only dk or na: not counted anywhere."),
    Column("not_assessed", "text", "Keys of the competencies without any usable answer, left out of the overall."),
    Column("stage", "text", "The overall stage's key; empty when no competency is assessed."),
    Column("stage_number", "integer", "The overall stage's number, from 1."),
    Column("stage_name", "text", "The overall stage's name."),
    Column("score", "number", "The overall score, from 1 to the number of stages."),
    Column("lower", "number", "Lower end of the score's interval; empty without one."),
    Column("upper", "number", "Upper end of the score's interval; empty without one."),
    Column("stage_probability", "number", "Share of posterior draws at the overall stage; empty without draws."),
    Column("rule", "text", "How the competencies combine: weakest, mean or median."),
    Column("coverage", "number", "Share of the expected answers that were given."),
    Column("low_coverage", "boolean", "Whether coverage is below the low-coverage threshold."),
    Column("groups_shown", "integer", "Groups with at least the minimum size."),
    Column("withheld_groups", "integer", "Groups below the minimum size: counted, not shown."),
    Column("min_group_size", "integer", "The smallest group that is shown."),
    Column("confidence", "number", "Level of the intervals, e.g. 0.9."),
    Column("bootstrap", "integer", "Posterior draws behind the intervals (0: none)."),
)


def overall_table(fw: Framework, result: Result) -> Table:
    o = result.overall
    lower, upper = _interval(o.interval)
    row: tuple[Cell, ...] = (
        result.framework,
        result.framework_version,
        result.respondents,
        result.excluded_respondents,
        " ".join(result.not_assessed),
        o.stage,
        o.stage_number,
        _stage_name(fw, o.stage),
        _score(o.score),
        lower,
        upper,
        _num(o.stage_probabilities.get(o.stage)) if o.stage is not None else None,
        o.rule,
        _num(result.coverage),
        result.low_coverage,
        len(result.groups),
        result.withheld_groups,
        result.options.min_group_size,
        result.options.confidence,
        result.options.bootstrap,
    )
    return Table("overall", OVERALL_COLUMNS, [row])


def competency_columns(fw: Framework) -> tuple[Column, ...]:
    return (
        Column("competency", "text", "The competency's key."),
        Column("name", "text", "The competency's name."),
        Column("assessed", "boolean", "False when nobody gave a usable answer: stage, score, interval and gap empty."),
        Column("stage", "text", "The stage's key."),
        Column("stage_number", "integer", "The stage's number, from 1."),
        Column("stage_name", "text", "The stage's name."),
        Column("score", "number", "The score: the whole part is the stage, the fraction the way to the next."),
        Column("lower", "number", "Lower end of the score's interval; empty without one."),
        Column("upper", "number", "Upper end of the score's interval; empty without one."),
        Column("interval_method", "text", "How the interval was computed."),
        Column("stage_probability", "number", "Share of posterior draws at this stage; empty without draws."),
        Column("coverage", "number", "Share of the competency's expected answers that were given."),
        Column("low_coverage", "boolean", "Whether coverage is below the low-coverage threshold."),
        Column("respondents", "integer", "Respondents who answered any of its indicators."),
        Column("sd", "number", "Standard deviation of the answers (pooled over indicators)."),
        Column("ad", "number", "Average deviation of the answers."),
        Column("rwg", "number", "rwg(j): within-group agreement, 1 = everyone alike."),
        Column("rwg_lindell", "number", "Lindell's r*wg(j), -1 to 1."),
        Column("polarised", "boolean", "Two camps: r*wg(j) below 0; rwg(j) is then 0, out of range."),
        Column("importance", "number", "Mean importance answer (1-5); empty without any."),
        Column("weight", "number", "The competency's weight in the framework."),
        Column("target", "text", "The target stage's key (the assessment's target, else the next stage); empty: none."),
        Column("target_number", "integer", "The target stage's number."),
        Column("gap", "number", "Target stage number minus score; 0 once reached; empty when not assessed."),
        Column("priority", "number", "gap x weight x importance / 3; 0 once reached; empty when not assessed."),
        *(
            Column(f"fulfilment_{s.key}", "number", "Weighted share of the stage's evidence met; empty: none.")
            for s in fw.stages[1:]
        ),
    )


def competencies_table(fw: Framework, result: Result) -> Table:
    target_of = targets(result, fw)
    gap_of = {g.competency: g for g in result.gaps}
    rows = []
    for c in result.competencies:
        lower, upper = _interval(c.interval)
        gap = gap_of.get(c.key)
        target = target_of.get(c.key)
        # Not assessed: no gap either way (empty), never a gap of 0 that would read as "reached".
        no_gap = 0.0 if c.assessed else None
        rows.append(
            (
                c.key,
                fw.text(fw.competency(c.key).name),
                c.assessed,
                c.stage,
                c.stage_number,
                _stage_name(fw, c.stage),
                _score(c.score),
                lower,
                upper,
                c.interval_method,
                _num(c.stage_probabilities.get(c.stage)) if c.stage is not None else None,
                _num(c.coverage),
                c.low_coverage,
                c.respondents,
                _num(c.agreement.sd),
                _num(c.agreement.ad),
                _num(c.agreement.rwg),
                _num(c.agreement.rwg_lindell),
                c.agreement.polarised,
                _num(c.importance),
                fw.competency(c.key).weight,
                target,
                fw.stage_number(target) if target is not None else None,
                _num(gap.gap) if gap else no_gap,
                _num(gap.priority) if gap else no_gap,
                *(_num(c.fulfilment.get(s.key)) for s in fw.stages[1:]),
            )
        )
    return Table("competencies", competency_columns(fw), rows)


INDICATOR_COLUMNS = (
    Column("indicator", "text", "The indicator's key."),
    Column("competency", "text", "Its competency's key."),
    Column("kind", "text", "statement (rated on a scale) or rubric (pick the best description)."),
    Column("stage", "text", "The stage a statement evidences; empty for a rubric."),
    Column("text", "text", "The question, in the framework's language."),
    Column("answered", "integer", "Answers that count (not dk, na or skipped)."),
    Column("dont_know", "integer", "Answers 'don't know'."),
    Column("not_applicable", "integer", "Answers 'not applicable'."),
    Column("mean", "number", "Mean option value (0-1) of a statement; mean stage number of a rubric."),
    Column("sd", "number", "Standard deviation of the answers."),
    Column("ad", "number", "Average deviation of the answers."),
    Column("rwg", "number", "rwg: within-group agreement, 1 = everyone alike."),
    Column("polarised", "boolean", "Two camps: more spread than random answers; rwg is then 0, out of range."),
    Column("discussion_rank", "integer", "Place among the discussion items (1 = most divided); empty if not one."),
)


def indicators_table(fw: Framework, result: Result) -> Table:
    rank = {d.indicator: n for n, d in enumerate(result.discussion_items, start=1)}
    rows = []
    for ind_result, (_, indicator) in zip(result.indicators, fw.indicators, strict=True):
        rows.append(
            (
                ind_result.key,
                ind_result.competency,
                indicator.kind,
                indicator.stage if isinstance(indicator, Statement) else None,
                fw.text(indicator.text),
                ind_result.answered,
                ind_result.dont_know,
                ind_result.not_applicable,
                _num(ind_result.mean),
                _num(ind_result.agreement.sd),
                _num(ind_result.agreement.ad),
                _num(ind_result.agreement.rwg),
                ind_result.agreement.polarised,
                rank.get(ind_result.key),
            )
        )
    return Table("indicators", INDICATOR_COLUMNS, rows)


DISTRIBUTION_COLUMNS = (
    Column("indicator", "text", "The indicator's key."),
    Column("option", "text", "The option's key (a rubric's options are the stages)."),
    Column("label", "text", "The option's label, in the framework's language."),
    Column("value", "number", "The option's value: 0-1 on a statement's scale, the stage number for a rubric."),
    Column("count", "integer", "Respondents who chose it."),
)


def distributions_table(fw: Framework, result: Result) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for ind_result, (_, indicator) in zip(result.indicators, fw.indicators, strict=True):
        if isinstance(indicator, Statement):
            options = [(o.key, fw.text(o.label), o.value) for o in fw.scales[indicator.scale].options]
        else:
            options = [(s.key, fw.text(s.name), float(n)) for n, s in enumerate(fw.stages, start=1)]
        for key, label, value in options:
            rows.append((ind_result.key, key, label, value, ind_result.distribution.get(key, 0)))
    return Table("distributions", DISTRIBUTION_COLUMNS, rows)


def group_columns(fw: Framework) -> tuple[Column, ...]:
    return (
        Column("group", "text", "The group's name (only groups the results show)."),
        Column("respondents", "integer", "Respondents in the group."),
        Column("overall_stage", "text", "The group's overall stage key."),
        Column("overall_score", "number", "The group's overall score."),
        *(
            Column(c.key, "number", "The group's score on this competency; empty without a usable answer.")
            for c in fw.competencies
        ),
    )


def groups_table(fw: Framework, result: Result) -> Table:
    rows = []
    for g in result.groups:
        score_of = {gc.key: gc.score for gc in g.competencies}
        rows.append(
            (
                g.group,
                g.respondents,
                g.overall_stage,
                _score(g.overall_score),
                *(_score(score_of.get(c.key)) for c in fw.competencies),
            )
        )
    return Table("groups", group_columns(fw), rows)

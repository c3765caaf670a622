"""The method suite: does the scoring method keep its promises at the team sizes people really have?

A simulation study (``bench/method_study.py``; SYNTHETIC populations whose true result is known exactly), per team
size n in SIZES, REPLICATIONS teams from each family of populations, scored by the product's ``score``:

* coverage of the 90% intervals, per competency and overall (target 0.87 to 0.93 at every n);
* expected calibration error of the stage probabilities (top-label ECE of Guo et al. 2017, 10 right-closed bins;
  target at most 0.05 at every n), and per family of populations its ECE beside the mean confidence minus the
  accuracy (above 0: stated too sure);
* the progress verdict (``progress.compare`` on two independently drawn waves): its power for a true one-stage rise
  with 8 ordinary respondents per wave and for a two-stage rise with 6 respondents per wave in two camps (target at
  least 0.95), and its false alarms when nothing changed (target at most 0.10 per competency), each beside Welch's
  t-test on respondents' competency means at the 5% level in the same run (the baseline).

Each rate comes with its Monte-Carlo standard error (in brackets), taken over replications (teams, or pairs of
waves) because the competencies of one team are not independent; the ECE's comes from resampling teams (bootstrap,
200 resamples). A third table says how far the ECE itself can be trusted: beside it, the debiased ECE of Kumar, Liang
& Ma (2019) and what the same binning reads for a predictor that is calibrated by construction (the study's own
confidences, outcomes drawn from them with the study's within-team correlation), the plug-in ECE's bias and noise
at that number of predictions. At n = 3 the study draws SMALL_FACTOR (4) times as many teams, because there the
figures sit within a few standard errors of their limits. Reproduce with ``python bench/run.py method``
(docs/scoring.md, section 6, and docs/progress.md hold the tables); ``CXM_METHOD_SEED`` shifts every seed, to check
that a result does not hang on one draw of the teams.
To try a change of the method quickly, ``CXM_METHOD_SIZES=3`` runs only the sizes named (comma-separated) and
``CXM_METHOD_VERDICTS=0`` leaves out the verdict checks; a size's teams are the same as in the full run (each size has
its own seed), so its row can be compared with the published one; ``CXM_METHOD_SMALL_FACTOR=1`` draws the same
400 teams per family at n = 3 as every other size (the first 400 of the published 1,600), and ``CXM_METHOD_SMALL_N``
(3) is the largest size that gets the added teams.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from bench.method_study import (
    FAMILIES,
    Population,
    calibrated_ece,
    debiased_ece,
    expected_calibration_error,
    population,
)
from bench.row import Row
from cxmaturity.frameworks.catalog import load_builtin
from cxmaturity.progress.change import IMPROVED, NO_CLEAR_CHANGE
from cxmaturity.progress.compare import Snapshot, compare
from cxmaturity.scoring import ResponseMatrix, Result, ScoringOptions, score
from cxmaturity.scoring.engine import respondent_levels
from cxmaturity.scoring.layout import FloatArray, layout_for

FRAMEWORK = "xm-six-competencies"
SIZES = tuple(int(n) for n in os.environ.get("CXM_METHOD_SIZES", "3,5,8,15,30,100").split(","))
#: Whether to run the verdict checks (CXM_METHOD_VERDICTS=0 leaves them out, for a quick look at calibration).
VERDICTS = os.environ.get("CXM_METHOD_VERDICTS", "1") != "0"
#: Teams per family and size (CXM_METHOD_REPLICATIONS to change it; the published tables use 400).
REPLICATIONS = int(os.environ.get("CXM_METHOD_REPLICATIONS", "400"))
#: At the smallest sizes, where coverage and ECE sit within a few standard errors of their limits, SMALL_FACTOR times
#: as many teams (CXM_METHOD_SMALL_FACTOR; 1 for the same count everywhere): four times the teams halve the standard
#: errors. The first REPLICATIONS teams of each family are the same as with the factor 1.
SMALL_N = int(os.environ.get("CXM_METHOD_SMALL_N", "3"))
SMALL_FACTOR = int(os.environ.get("CXM_METHOD_SMALL_FACTOR", "4"))
#: Added to every seed of the study (0 for the published tables).
SEED = int(os.environ.get("CXM_METHOD_SEED", "0"))
OPTIONS = ScoringOptions()
COVERAGE = (0.87, 0.93)
MAX_ECE = 0.05
MIN_POWER = 0.95
MAX_FALSE_ALARMS = 0.10


@dataclass(frozen=True)
class SizeRow:
    n: int
    coverage: float
    overall_coverage: float
    ece: float
    by_family: dict[str, float]
    #: Per family: the ECE of its own predictions, and their mean confidence minus their accuracy.
    ece_by_family: dict[str, float]
    gap_by_family: dict[str, float]
    #: Monte-Carlo standard errors of coverage, overall coverage and ECE.
    coverage_se: float = 0.0
    overall_se: float = 0.0
    ece_se: float = 0.0
    #: The ECE less its estimated finite-sample bias (Kumar, Liang & Ma 2019), shown beside the plug-in ECE.
    ece_debiased: float = float("nan")
    #: What the plug-in ECE reads, on average and at its 95th percentile, for a predictor calibrated by construction
    #: with the same confidences and within-team correlation (``method_study.calibrated_ece``): its bias and noise.
    ece_calibrated: float = float("nan")
    ece_calibrated_95: float = float("nan")
    #: Teams per family behind the row.
    replications: int = 0


def clustered_se(values: list[bool], clusters: int) -> float:
    """Return the standard error of the mean of ``values``, split evenly into ``clusters`` replications in order,
    from the spread of the replications' own means (values within one replication are not independent)."""
    means = np.asarray(values, dtype=np.float64).reshape(clusters, -1).mean(axis=1)
    return float(means.std(ddof=1) / np.sqrt(clusters)) if clusters > 1 else float("nan")


def bootstrap_ece_se(confidence: FloatArray, correct: npt.NDArray[np.bool_], teams: int, resamples: int = 200) -> float:
    """Return the standard error of the ECE from resampling whole teams (each holds the same number of predictions)."""
    rng = np.random.default_rng(0)
    conf, hit = confidence.reshape(teams, -1), correct.reshape(teams, -1)
    found = []
    for _ in range(resamples):
        pick = rng.integers(0, teams, teams)
        found.append(expected_calibration_error(conf[pick].ravel(), hit[pick].ravel()))
    return float(np.std(found, ddof=1))


@dataclass(frozen=True)
class Predictions:
    """Everything one size's calibration rests on, one row per team (teams in the order drawn, families in turn)."""

    confidence: FloatArray  # (teams, C): the probability of the stage named
    correct: npt.NDArray[np.bool_]  # (teams, C): whether it is the true stage
    covered: npt.NDArray[np.bool_]  # (teams, C): whether the 90% interval holds the true score
    overall: npt.NDArray[np.bool_]  # (teams,)
    family: npt.NDArray[np.str_]  # (teams,)


def predictions(n: int, replications: int, seed: int) -> Predictions:
    """Draw ``replications`` teams of ``n`` from each family and score them."""
    fw = load_builtin(FRAMEWORK)
    rng = np.random.default_rng(seed)
    covered: list[list[bool]] = []
    overall: list[bool] = []
    confidence: list[list[float]] = []
    correct: list[list[bool]] = []
    source: list[str] = []
    for _ in range(replications):
        for family in FAMILIES:
            pop = population(fw, family, rng)
            true_scores, true_overall, true_stages = pop.truth()
            result = score(pop.team(n, rng), OPTIONS)
            covered.append([])
            confidence.append([])
            correct.append([])
            for c, comp in enumerate(result.competencies):
                assert comp.interval is not None
                covered[-1].append(comp.interval[0] - 1e-9 <= true_scores[c] <= comp.interval[1] + 1e-9)
                probabilities = np.array(list(comp.stage_probabilities.values()))
                confidence[-1].append(float(probabilities.max()))
                correct[-1].append(bool(probabilities.argmax() == true_stages[c]))
            source.append(family)
            assert result.overall.interval is not None
            overall.append(result.overall.interval[0] - 1e-9 <= true_overall <= result.overall.interval[1] + 1e-9)
    return Predictions(np.array(confidence), np.array(correct), np.array(covered), np.array(overall), np.array(source))


def calibration(n: int, replications: int, seed: int) -> SizeRow:
    p = predictions(n, replications, seed)
    teams = len(p.family)
    conf, hit = p.confidence.ravel(), p.correct.ravel()
    of = np.repeat(p.family, p.confidence.shape[1])
    reference, reference_95, _ = calibrated_ece(p.confidence, p.correct)
    return SizeRow(
        n,
        float(p.covered.mean()),
        float(p.overall.mean()),
        expected_calibration_error(conf, hit),
        {f: float(p.covered[p.family == f].mean()) for f in FAMILIES},
        {f: expected_calibration_error(conf[of == f], hit[of == f]) for f in FAMILIES},
        {f: float(conf[of == f].mean() - hit[of == f].mean()) for f in FAMILIES},
        clustered_se(p.covered.ravel().tolist(), teams),
        clustered_se(p.overall.tolist(), teams),
        bootstrap_ece_se(conf, hit, teams),
        debiased_ece(conf, hit),
        reference,
        reference_95,
        teams // len(FAMILIES),
    )


@dataclass(frozen=True)
class VerdictRow:
    label: str
    rate: float
    baseline: float
    target: str
    ok: bool
    #: Monte-Carlo standard error of ``rate``, and Welch's test at 5% one-sided each way (10% in all).
    rate_se: float = 0.0
    one_sided: float = 0.0


def _welch_rejects(before: ResponseMatrix, after: ResponseMatrix, rising: bool, level: float) -> list[bool]:
    """Welch's t-test (two-sided at ``level``) on respondents' competency levels: rejected in the direction asked
    for (any direction when nothing changed)."""
    layout = layout_for(before.framework)
    b, a = respondent_levels(before.answers, layout), respondent_levels(after.answers, layout)
    out = []
    for c in range(layout.n_competencies):
        test = stats.ttest_ind(a[:, c], b[:, c], equal_var=False, nan_policy="omit")
        significant = bool(test.pvalue < level)
        out.append(significant and (test.statistic > 0 if rising else True))
    return out


def verdicts(
    label: str, family: str, n: int, rise: float, replications: int, seed: int
) -> tuple[float, float, float, float]:
    """Return the share of competencies with the verdict expected for ``rise`` (improved, or any change when there is
    none: the false-alarm rate), its standard error, and the same share for Welch's t-test at 5% two-sided and at 5%
    one-sided each way."""
    fw = load_builtin(FRAMEWORK)
    rng = np.random.default_rng(seed)
    hits: list[bool] = []
    baseline: list[bool] = []
    one_sided: list[bool] = []
    for _ in range(replications):
        before_pop = population(fw, family, rng)
        after_pop: Population = before_pop.shifted(rise)
        before, after = before_pop.team(n, rng), after_pop.team(n, rng)
        first: Result = score(before, OPTIONS)
        second: Result = score(after, OPTIONS)
        comparison = compare(Snapshot(fw, first, "before"), Snapshot(fw, second, "after"))
        for change in comparison.competencies:
            hits.append(change.verdict == IMPROVED if rise > 0 else change.verdict != NO_CLEAR_CHANGE)
        baseline.extend(_welch_rejects(before, after, rising=rise > 0, level=0.05))
        one_sided.extend(_welch_rejects(before, after, rising=rise > 0, level=0.10))
    return float(np.mean(hits)), clustered_se(hits, replications), float(np.mean(baseline)), float(np.mean(one_sided))


def replications_for(n: int, replications: int) -> int:
    """Teams per family at size n: SMALL_FACTOR times more where the figures sit closest to their targets."""
    return replications * SMALL_FACTOR if n <= SMALL_N else replications


def study(replications: int = REPLICATIONS) -> tuple[list[SizeRow], list[VerdictRow]]:
    sizes = [calibration(n, replications_for(n, replications), seed=SEED + n) for n in SIZES]
    cases = (
        ("power, one-stage rise, 8 ordinary per wave", "mid-stage", 8, 1.0, True),
        ("power, two-stage rise, 6 in two camps per wave", "two camps", 6, 2.0, True),
        ("false alarms, no change, 8 ordinary per wave", "mid-stage", 8, 0.0, False),
        ("false alarms, no change, 5 random-profile per wave", "random", 5, 0.0, False),
        ("false alarms, no change, 6 in two camps per wave", "two camps", 6, 0.0, False),
    )
    rows = []
    for k, (label, family, n, rise, power) in enumerate(cases if VERDICTS else ()):
        rate, se, base, one_sided = verdicts(label, family, n, rise, replications, seed=SEED + 1000 + k)
        ok = rate >= MIN_POWER if power else rate <= MAX_FALSE_ALARMS
        target = f">= {MIN_POWER}" if power else f"<= {MAX_FALSE_ALARMS}"
        rows.append(VerdictRow(label, rate, base, target, ok, se, one_sided))
    return sizes, rows


def table(sizes: list[SizeRow], rows: list[VerdictRow]) -> str:
    """Return the study as the Markdown tables docs/scoring.md and docs/progress.md show."""
    head = "| n | coverage, competencies | coverage, overall | ECE | " + " | ".join(FAMILIES) + " |"
    lines = [head, "|" + "---|" * (4 + len(FAMILIES))]
    for s in sizes:
        fam = " | ".join(f"{s.by_family[f]:.3f}" for f in FAMILIES)
        lines.append(
            f"| {s.n} | {s.coverage:.3f} ({s.coverage_se:.3f}) | {s.overall_coverage:.3f} ({s.overall_se:.3f}) "
            f"| {s.ece:.3f} ({s.ece_se:.3f}) | {fam} |"
        )
    lines += [
        "",
        "| n | ECE (confidence - accuracy): " + " | ".join(FAMILIES) + " |",
        "|" + "---|" * (1 + len(FAMILIES)),
    ]
    lines += [
        f"| {s.n} | " + " | ".join(f"{s.ece_by_family[f]:.3f} ({s.gap_by_family[f]:+.3f})" for f in FAMILIES) + " |"
        for s in sizes
    ]
    lines += [
        "",
        "| n | teams per family | ECE (SE) | debiased ECE | calibrated predictor's ECE: mean | its 95th percentile |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {s.n} | {s.replications:,} | {s.ece:.3f} ({s.ece_se:.3f}) | {s.ece_debiased:.3f} "
        f"| {s.ece_calibrated:.3f} | {s.ece_calibrated_95:.3f} |"
        for s in sizes
    ]
    if not rows:  # CXM_METHOD_VERDICTS=0
        return "\n".join(lines)
    lines += [
        "",
        "| verdict check | rate | Welch t-test, 5% two-sided | Welch t-test, 5% each way | target |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.label} | {r.rate:.3f} ({r.rate_se:.3f}) | {r.baseline:.3f} | {r.one_sided:.3f} | {r.target} |"
        for r in rows
    ]
    return "\n".join(lines)


def run() -> list[Row]:
    start = time.perf_counter()
    sizes, verdict_rows = study()
    seconds = time.perf_counter() - start
    print(
        f"  {REPLICATIONS} teams per family and size ({REPLICATIONS * SMALL_FACTOR} at n <= {SMALL_N}), "
        f"seed offset {SEED}, framework {FRAMEWORK}"
    )
    print("  (SYNTHETIC populations; Monte-Carlo standard errors in brackets)")
    print("\n".join("    " + line for line in table(sizes, verdict_rows).splitlines()), flush=True)
    out = []
    for s in sizes:
        cover_ok = all(COVERAGE[0] <= v <= COVERAGE[1] for v in (s.coverage, s.overall_coverage))
        out.append(
            Row(
                f"n = {s.n}: 90% interval coverage",
                seconds,
                s.coverage / 0.90,
                f"ratio to 0.90; competencies {s.coverage:.3f}, overall {s.overall_coverage:.3f} (0.87-0.93)",
                cover_ok,
            )
        )
        out.append(
            Row(
                f"n = {s.n}: calibration (ECE)",
                seconds,
                s.ece / MAX_ECE,
                f"ECE {s.ece:.3f} (<= 0.05)",
                s.ece <= MAX_ECE,
            )
        )
    for r in verdict_rows:
        ratio = r.rate / r.baseline if r.baseline else float("nan")
        out.append(Row(r.label, seconds, ratio, f"{r.rate:.3f} ({r.target}); Welch t-test {r.baseline:.3f}", r.ok))
    return out

"""Scoring speed against a bare numpy bincount aggregation of the same answers, measured in the same run, the two
taking turns (fastest of 30 each)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from bench.row import Row
from bench.synthetic import synthetic_framework, synthetic_responses
from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.scoring.layout import layout_for


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``repeat`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def paired_fastest(first: Callable[[], object], second: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return the fastest wall time of each of two functions, called in turn ``repeat`` times after a warm-up.

    Taking turns puts both under the same load of the machine, so their ratio means something on a busy one; the
    fastest time is the one least disturbed by other processes (as Python's ``timeit`` documentation advises).
    """
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def bincount_baseline(fw: Framework, answers: npt.NDArray[np.int16]) -> npt.NDArray[np.float64]:
    """Mean normalized answer per indicator with two bincounts: the least work any scoring must do."""
    layout = layout_for(fw)
    table = np.zeros((layout.n_indicators, layout.max_options))
    for i, (_, ind) in enumerate(fw.indicators):
        n = len(fw.answer_keys(ind))
        table[i, :n] = np.linspace(0.0, 1.0, n)
    valid = answers >= 0
    indicator = np.broadcast_to(np.arange(answers.shape[1]), answers.shape)[valid]
    values = table[indicator, answers[valid]]
    sums = np.bincount(indicator, weights=values, minlength=answers.shape[1])
    counts = np.bincount(indicator, minlength=answers.shape[1])
    return sums / np.maximum(counts, 1)


def run() -> list[Row]:
    fw = synthetic_framework()
    responses = synthetic_responses(fw)
    answers = responses.answers
    n, m = answers.shape
    no_boot = ScoringOptions(bootstrap=0)
    baseline, scoring = paired_fastest(lambda: bincount_baseline(fw, answers), lambda: score(responses, no_boot), 30)
    with_boot = ScoringOptions(bootstrap=1000)
    boot = best_of(lambda: score(responses, with_boot), repeat=3)
    label = f"{n} respondents x {m} indicators (synthetic)"
    return [
        Row("bincount baseline", baseline, 1.0, label),
        Row(
            "score, agreement + groups, no bootstrap",
            scoring,
            scoring / baseline,
            "target: ratio <= 3",
            scoring / baseline <= 3,
        ),
        Row("score with 1,000 bootstrap resamples", boot, boot / baseline, "target: under 2 s", boot < 2.0),
    ]

"""SYNTHETIC benchmark data: a generated 100-indicator framework and random answers. Not real assessments."""

from __future__ import annotations

from typing import Any

import numpy as np

from cxmaturity.frameworks import Framework, parse_framework
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, ResponseMatrix

STAGES = ("s1", "s2", "s3", "s4", "s5")


def synthetic_framework(competencies: int = 10, per_competency: int = 10) -> Framework:
    """Return a valid framework with ``competencies * per_competency`` indicators (two rubrics per competency)."""
    comps: list[dict[str, Any]] = []
    for c in range(competencies):
        indicators: list[dict[str, Any]] = []
        for i in range(per_competency - 2):
            indicators.append(
                {
                    "key": f"c{c}-s{i}",
                    "kind": "statement",
                    "text": f"Statement {c}.{i}",
                    "stage": STAGES[1 + i % 4],
                    "scale": "agree5",
                }
            )
        for i in range(2):
            indicators.append(
                {
                    "key": f"c{c}-r{i}",
                    "kind": "rubric",
                    "text": f"Rubric {c}.{i}",
                    "options": [{"stage": s, "text": f"At {s}"} for s in STAGES],
                }
            )
        comps.append({"key": f"c{c}", "name": f"Competency {c}", "indicators": indicators})
    data = {
        "format": "cx-maturity/framework@1",
        "id": "synthetic-bench",
        "name": "Synthetic benchmark framework",
        "version": "1",
        "source": "Generated for benchmarks (synthetic).",
        "stages": [{"key": s, "name": s.upper()} for s in STAGES],
        "scales": {"agree5": {"options": [{"key": str(k + 1), "label": str(k + 1), "value": k / 4} for k in range(5)]}},
        "competencies": comps,
    }
    return parse_framework(data)


def synthetic_responses(fw: Framework, respondents: int = 5000, groups: int = 5, seed: int = 1) -> ResponseMatrix:
    """Return random answers around a per-competency level, with 3% don't know and 2% skipped."""
    rng = np.random.default_rng(seed)
    m = len(fw.indicator_keys)
    options = np.array([len(fw.answer_keys(ind)) for _, ind in fw.indicators])
    level = rng.uniform(0.3, 0.8, size=m)
    raw = level[np.newaxis, :] * (options - 1) + rng.normal(0, 1.0, size=(respondents, m))
    answers = np.clip(np.rint(raw), 0, options - 1).astype(np.int16)
    noise = rng.random(answers.shape)
    answers[noise < 0.03] = DONT_KNOW_CODE
    answers[(noise >= 0.03) & (noise < 0.05)] = MISSING
    return ResponseMatrix(
        framework=fw,
        respondents=tuple(f"r{i}" for i in range(respondents)),
        groups=tuple(f"g{i % groups}" for i in range(respondents)),
        answers=answers,
        importance=np.full(answers.shape, np.nan),
    )

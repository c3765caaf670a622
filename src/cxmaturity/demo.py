"""Synthetic demo answers, clearly labelled as such, for trying the product without real data.

Each synthetic respondent has a latent maturity per competency (the team's level plus a group offset plus personal
noise); the chance of agreeing with a statement falls as its stage rises above that level, and a rubric answer is the
latent level rounded. The data are invented: they only show how results look.
"""

from __future__ import annotations

import numpy as np

from cxmaturity.frameworks.model import Framework, Statement
from cxmaturity.i18n.catalogs import N_
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, ResponseMatrix

SYNTHETIC_LABEL = N_("SYNTHETIC demo data (invented respondents, not a real organization)")

#: Groups, their offset from the team's level and their size: leaders tend to rate their organization higher than
#: the front line does.
DEMO_GROUPS = (("Leadership team", 0.6, 5), ("Operations", 0.0, 6), ("Front line", -0.5, 7))
#: The web demo's closed assessment: a 12-person leadership team in four functions.
LEADERSHIP_GROUPS = (
    ("Executive board", 0.5, 3),
    ("Marketing", 0.2, 3),
    ("Operations", 0.0, 3),
    ("Customer service", -0.4, 3),
)


def demo_responses(
    fw: Framework, seed: int = 7, groups: tuple[tuple[str, float, int], ...] = DEMO_GROUPS
) -> ResponseMatrix:
    """Return deterministic synthetic answers for ``fw``: by default 18 respondents in three groups."""
    rng = np.random.default_rng(seed)
    n_stages = len(fw.stages)
    team_level = rng.uniform(1.6, 3.4, size=len(fw.competencies))
    respondents: list[str] = []
    membership: list[str] = []
    latent_rows = []
    for name, offset, size in groups:
        for _ in range(size):
            respondents.append(f"synthetic-{len(respondents) + 1:03d}")
            membership.append(name)
            latent_rows.append(team_level + offset + rng.normal(0.0, 0.45, size=len(fw.competencies)))
    latent = np.clip(np.array(latent_rows), 1.0, float(n_stages))
    comp_index = {c.key: i for i, c in enumerate(fw.competencies)}
    answers = np.full((len(respondents), len(fw.indicator_keys)), MISSING, dtype=np.int16)
    for i, (comp, ind) in enumerate(fw.indicators):
        level = latent[:, comp_index[comp.key]]
        if isinstance(ind, Statement):
            n_options = len(fw.scales[ind.scale].options)
            # Agreement falls by about one option per stage the statement lies above the respondent's level.
            position = (n_options - 1) * 0.75 - (fw.stage_number(ind.stage) - level) * 1.1
            position += rng.normal(0.0, 0.6, size=len(level))
            answers[:, i] = np.clip(np.rint(position), 0, n_options - 1).astype(np.int16)
        else:
            answers[:, i] = np.clip(np.rint(level - 1 + rng.normal(0.0, 0.5, size=len(level))), 0, n_stages - 1).astype(
                np.int16
            )
    answers[rng.random(answers.shape) < 0.04] = DONT_KNOW_CODE
    return ResponseMatrix(
        framework=fw,
        respondents=tuple(respondents),
        groups=tuple(membership),
        answers=answers,
        importance=np.where(rng.random(answers.shape) < 0.5, rng.integers(2, 6, size=answers.shape), np.nan),
    )

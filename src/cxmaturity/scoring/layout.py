"""A framework flattened into arrays, so that scoring is a handful of numpy operations.

Everything the scoring rules need follows from one table of counts: how many respondents chose option k of
indicator i. Each indicator yields one or more *evidence items*: a statement evidences its own stage, with its
option's value; a rubric evidences every stage above the first, counting 1 for a stage at or below the chosen one
and 0 above it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxmaturity.frameworks.model import Framework, Statement

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class Layout:
    n_stages: int
    n_competencies: int
    n_indicators: int
    max_options: int
    #: Number of answer options of each indicator (dk/na excluded).
    options: IntArray
    #: Competency index of each indicator.
    indicator_competency: IntArray
    #: For each evidence item: its indicator, stage index (0-based) and competency.
    evidence_indicator: IntArray
    evidence_stage: IntArray
    evidence_competency: IntArray
    #: value[e, k]: the normalized value that option k of the item's indicator counts for the item (0 for padding).
    value: FloatArray
    #: mean_value[i, k]: what option k of indicator i counts for in the indicator's mean answer: a statement's option
    #: value, a rubric's stage number (0 for padding).
    mean_value: FloatArray
    #: membership[e, c * n_stages + s] = 1 when evidence item e evidences stage s of competency c.
    membership: FloatArray
    weights: FloatArray
    threshold: float
    overall: str


# Frameworks are immutable but hold dicts, so they cannot key an lru_cache; we key by identity and let the entry
# go when the framework does.
_CACHE: dict[int, tuple[weakref.ref[Framework], Layout]] = {}


def layout_for(fw: Framework) -> Layout:
    """Return the array layout of ``fw``, computed once per framework object."""
    entry = _CACHE.get(id(fw))
    if entry is not None and entry[0]() is fw:
        return entry[1]
    layout = _build(fw)
    key = id(fw)
    _CACHE[key] = (weakref.ref(fw, lambda _: _CACHE.pop(key, None)), layout)
    return layout


def _build(fw: Framework) -> Layout:
    n_stages = len(fw.stages)
    comp_index = {c.key: n for n, c in enumerate(fw.competencies)}
    options: list[int] = []
    ind_comp: list[int] = []
    ev_ind: list[int] = []
    ev_stage: list[int] = []
    ev_comp: list[int] = []
    rows: list[list[float]] = []
    for i, (comp, ind) in enumerate(fw.indicators):
        c = comp_index[comp.key]
        ind_comp.append(c)
        if isinstance(ind, Statement):
            values = [o.value for o in fw.scales[ind.scale].options]
            options.append(len(values))
            ev_ind.append(i)
            ev_stage.append(fw.stage_number(ind.stage) - 1)
            ev_comp.append(c)
            rows.append(values)
        else:
            options.append(n_stages)
            for s in range(1, n_stages):
                ev_ind.append(i)
                ev_stage.append(s)
                ev_comp.append(c)
                rows.append([1.0 if k >= s else 0.0 for k in range(n_stages)])
    max_options = max(options)
    value = np.zeros((len(rows), max_options))
    for e, row in enumerate(rows):
        value[e, : len(row)] = row
    mean_value = np.zeros((len(options), max_options))
    for i, (_, ind) in enumerate(fw.indicators):
        if isinstance(ind, Statement):
            mean_value[i, : options[i]] = [o.value for o in fw.scales[ind.scale].options]
        else:
            mean_value[i, :n_stages] = np.arange(1, n_stages + 1)
    membership = np.zeros((len(rows), len(fw.competencies) * n_stages))
    membership[np.arange(len(rows)), np.array(ev_comp) * n_stages + np.array(ev_stage)] = 1.0
    return Layout(
        n_stages=n_stages,
        n_competencies=len(fw.competencies),
        n_indicators=len(options),
        max_options=max_options,
        options=np.array(options, dtype=np.intp),
        indicator_competency=np.array(ind_comp, dtype=np.intp),
        evidence_indicator=np.array(ev_ind, dtype=np.intp),
        evidence_stage=np.array(ev_stage, dtype=np.intp),
        evidence_competency=np.array(ev_comp, dtype=np.intp),
        value=value,
        mean_value=mean_value,
        membership=membership,
        weights=np.array([c.weight for c in fw.competencies]),
        threshold=fw.scoring.threshold,
        overall=fw.scoring.overall,
    )

"""Results to chart and view: the worked example of docs/scoring.md and the synthetic demo on a built-in framework."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxmaturity.answers.csv_reader import read_answers_csv
from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import Framework, load_builtin, load_framework
from cxmaturity.scoring import Result, ScoringOptions, score

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def example() -> Framework:
    return load_framework(DATA / "example.yaml")


@pytest.fixture(scope="session")
def worked(example: Framework) -> Result:
    """The worked example: Vision 2.3571 (Learning), Insight 1.9821 (Emerging); no group shown (see ``grouped``)."""
    return score(read_answers_csv(DATA / "worked-example.csv", example), ScoringOptions(bootstrap=0))


@pytest.fixture(scope="session")
def grouped(example: Framework) -> Result:
    """The worked example plus two respondents without a group: leadership (3) is shown, front line (1) is not,
    and the four left out of the shown group are enough to keep the front-line respondent hidden."""
    return score(read_answers_csv(DATA / "grouped-example.csv", example), ScoringOptions(bootstrap=0))


@pytest.fixture(scope="session")
def xm() -> Framework:
    return load_builtin("xm-six-competencies")


@pytest.fixture(scope="session")
def demo(xm: Framework) -> Result:
    """18 synthetic respondents in three groups, with a bootstrap, and one explicit target."""
    return score(demo_responses(xm), ScoringOptions(bootstrap=200, targets={"lead": "embed"}))

from __future__ import annotations

from pathlib import Path

import pytest

from cxmaturity.answers import ResponseBuilder, Where
from cxmaturity.frameworks import Framework, load_framework
from cxmaturity.scoring import ResponseMatrix

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def example() -> Framework:
    return load_framework(DATA / "example.yaml")


def build(fw: Framework, answers: dict[str, tuple[str, dict[str, str]]]) -> ResponseMatrix:
    """Build a response matrix from ``{respondent: (group, {indicator: answer})}``."""
    builder = ResponseBuilder(fw)
    for respondent, (group, given) in answers.items():
        for indicator, answer in given.items():
            builder.add(respondent, group, indicator, answer, Where("test"))
    return builder.build()

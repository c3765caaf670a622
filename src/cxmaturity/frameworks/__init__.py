"""The framework language: maturity models as validated YAML data."""

from cxmaturity.frameworks.catalog import builtin_ids, json_schema, load_builtin, resolve
from cxmaturity.frameworks.lint import lint_framework
from cxmaturity.frameworks.loading import load_framework, load_framework_text, parse_framework
from cxmaturity.frameworks.model import (
    DONT_KNOW,
    NOT_APPLICABLE,
    Action,
    Competency,
    Framework,
    Rubric,
    Scale,
    Stage,
    Statement,
    Track,
    localize,
)
from cxmaturity.frameworks.problems import FrameworkError, Position, Problem

__all__ = [
    "DONT_KNOW",
    "NOT_APPLICABLE",
    "Action",
    "Competency",
    "Framework",
    "FrameworkError",
    "Position",
    "Problem",
    "Rubric",
    "Scale",
    "Stage",
    "Statement",
    "Track",
    "builtin_ids",
    "json_schema",
    "lint_framework",
    "load_builtin",
    "load_framework",
    "load_framework_text",
    "localize",
    "parse_framework",
    "resolve",
]

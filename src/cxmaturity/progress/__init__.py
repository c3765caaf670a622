"""Progress over time: compare two scored assessments of one framework (or two versions of it) with verdicts from the
intervals, and review the earlier assessment's targets and plan against the later result (no I/O)."""

from cxmaturity.progress.change import VERDICTS, Difference, Estimate, Verdict, difference
from cxmaturity.progress.compare import (
    CompareOptions,
    Comparison,
    ComparisonError,
    CompetencyChange,
    DiscussionChange,
    IndicatorMove,
    Point,
    Snapshot,
    compare,
)
from cxmaturity.progress.serialize import comparison_to_dict
from cxmaturity.progress.targets import INITIATIVE_STATUSES, Forecast, Review, TargetOutcome, Velocity, review
from cxmaturity.progress.versions import FrameworkDiff, IndicatorDiff, diff

__all__ = [
    "INITIATIVE_STATUSES",
    "VERDICTS",
    "CompareOptions",
    "Comparison",
    "ComparisonError",
    "CompetencyChange",
    "Difference",
    "DiscussionChange",
    "Estimate",
    "Forecast",
    "FrameworkDiff",
    "IndicatorDiff",
    "IndicatorMove",
    "Point",
    "Review",
    "Snapshot",
    "TargetOutcome",
    "Velocity",
    "Verdict",
    "compare",
    "comparison_to_dict",
    "diff",
    "difference",
    "review",
]

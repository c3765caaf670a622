"""Answers to results: stage gating, continuous scores, agreement and uncertainty (numpy, no I/O)."""

from cxmaturity.scoring.engine import score, validate_targets
from cxmaturity.scoring.responses import ResponseMatrix
from cxmaturity.scoring.result import Result, ScoringOptions
from cxmaturity.scoring.serialize import result_to_dict

__all__ = ["ResponseMatrix", "Result", "ScoringOptions", "result_to_dict", "score", "validate_targets"]

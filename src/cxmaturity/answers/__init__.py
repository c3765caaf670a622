"""Answers from outside the app: building a response matrix with precise errors, and reading answer CSV files."""

from cxmaturity.answers.builder import AnswerProblem, AnswersError, ResponseBuilder, Where

__all__ = ["AnswerProblem", "AnswersError", "ResponseBuilder", "Where"]

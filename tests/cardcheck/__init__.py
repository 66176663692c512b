"""Adaptive Card validation for tests (schema, official renderer, Teams rules). See `validator.py`."""

from tests.cardcheck.problems import Problem
from tests.cardcheck.validator import assert_valid_card, card_problems, report, validate_many

__all__ = ["Problem", "assert_valid_card", "card_problems", "report", "validate_many"]

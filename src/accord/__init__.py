"""Accord: governed AI for foreign-related police work.

Every AI capability is called through one governed gateway that checks policy, runs the model,
writes the decision to a tamper-evident ledger and routes it to human review where the rules say so.
"""

__version__ = "0.1.0"

"""Interpretation: language identification now; guided interviews, notices and translation next."""

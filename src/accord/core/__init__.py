"""Accord's core: storage, accounts, errors, jobs, i18n — and later policy, ledger and gateway.

Nothing in ``accord.core`` imports the web layer.
"""

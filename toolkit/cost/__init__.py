"""Pricing (one dated, sourced table in ``toolkit.cost.prices``) and cost estimators.

Import ``toolkit.cost.prices`` for the table and the estimators; this package imports nothing
heavy.
"""

"""Pricing tables (dated, sourced) and cost estimators."""

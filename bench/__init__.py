"""Benchmarks with their budgets: ``python -m bench`` runs them all (``make bench``)."""

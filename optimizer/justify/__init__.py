"""Justify a sub-centre choice: rank every admissible set, marginal values, robustness, conclusion.

The job that runs it end to end is :mod:`optimizer.jobs.justify`.
"""

"""Sub-centre justification: is a chosen set of sub-centres right, and what would do better."""

from optimizer.justify.job import JustifySummary, justify

__all__ = ["JustifySummary", "justify"]

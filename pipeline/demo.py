"""The pipeline's demo for seed_demo: each part adds its own (deals, their SOEs and
follow-ups; six quarters of closed deals for the dashboard)."""

from __future__ import annotations

from pipeline.dashboard.demo import seed_history
from pipeline.deals.demo import seed_opportunities


def seed() -> list[str]:
    """seed_demo's entry point (after prospects' accounts): adds what is missing and says
    what it added."""
    lines = []
    deals = seed_opportunities()
    history = seed_history()
    if deals:
        lines.append(f"Added {deals} demo deals across the stages, a few of them stuck.")
    if history:
        lines.append(f"Added {history} closed deals over six quarters, for the dashboard.")
    return lines

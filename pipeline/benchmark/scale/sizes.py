"""How big the scale data set is: one row of exact counts per size, and what the tests and
the report expect to count after a load."""

from __future__ import annotations

from dataclasses import dataclass, fields

PREFIX = "scale-"


@dataclass(frozen=True)
class Size:
    """Exact row counts of one size; the tests check every table against them."""

    teams: int
    reps: int  # plus a manager per team, a sales ops user and an admin
    accounts: int
    contacts: int
    conversations: int
    opportunities: int
    open_opportunities: int
    stage_changes: int
    sequences: int  # SOEs
    soe_steps: int
    followups: int
    held_followups: int
    due_followups: int  # held, and surface_at <= now: the next sweep surfaces them
    reviews: int
    key_accounts: int  # the few big accounts with long histories
    history_days: int


SIZES: dict[str, Size] = {
    "large": Size(
        teams=8,
        reps=50,
        accounts=100_000,
        contacts=300_000,
        conversations=2_000_000,
        opportunities=200_000,
        open_opportunities=40_000,
        stage_changes=800_000,
        sequences=100_000,
        soe_steps=600_000,
        followups=1_000_000,
        held_followups=100_000,
        due_followups=5_000,
        reviews=40,
        key_accounts=50,
        history_days=730,
    ),
    "small": Size(
        teams=8,
        reps=50,
        accounts=1_000,
        contacts=3_000,
        conversations=20_000,
        opportunities=2_000,
        open_opportunities=400,
        stage_changes=8_000,
        sequences=1_000,
        soe_steps=6_000,
        followups=10_000,
        held_followups=1_000,
        due_followups=50,
        reviews=4,
        key_accounts=5,
        history_days=730,
    ),
}


def expected_counts(size: Size) -> dict[str, int]:
    """What counts() must say right after a load of this size (for tests and the report)."""
    return {
        "core_team": size.teams,
        "core_user": size.reps + size.teams + 2,
        "prospects_account": size.accounts,
        "prospects_contact": size.contacts,
        "prospects_conversation": size.conversations,
        "pipeline_opportunity": size.opportunities,
        "pipeline_opportunity (open)": size.open_opportunities,
        "pipeline_stagechange": size.stage_changes,
        "pipeline_sequence": size.sequences,
        "pipeline_soestep": size.soe_steps,
        "pipeline_followup": size.followups,
        "pipeline_followup (held)": size.held_followups,
        "pipeline_followup (due now)": size.due_followups,
        "reviews_review": size.reviews,
    }


def size_table() -> list[tuple[str, int, int]]:
    """(what, large, small) for every number of SIZES: the one table the docs quote."""
    large, small = SIZES["large"], SIZES["small"]
    return [(f.name, getattr(large, f.name), getattr(small, f.name)) for f in fields(Size)]

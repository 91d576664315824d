"""The columns of the dashboard's tables, in one place: the CSV download of each table (the
same rows the page shows) and the outcome columns the per-currency and per-segment tables
share."""

from __future__ import annotations

# What the outcome tables (per currency, per segment) share.
OUTCOME_COLUMNS = [
    "open",
    "won",
    "lost",
    "disqualified",
    "win_rate",
    "won_value",
    "average_won",
    "cycle_days",
    "velocity",
]
# The CSV downloads: a figure's name (see snapshot.FIGURES) and its columns. The page shows
# the same rows. The totals and SOE health have no CSV: the page shows them without a link.
CSV_COLUMNS: dict[str, list[str]] = {
    "stages": [
        "pipeline__name",
        "stage__name",
        "stage__probability",
        "currency",
        "count",
        "amount",
        "weighted",
    ],
    "months": ["month", "currency", "count", "amount", "weighted"],
    "quarters": ["fiscal_year", "quarter", "currency", "count", "amount", "weighted"],
    "funnel": ["pipeline", "stage", "reached", "next_stage", "went_on", "conversion"],
    "time-in-stage": ["pipeline", "stage", "stays", "median_days", "p80_days"],
    "outcomes": ["currency", *OUTCOME_COLUMNS],
    "velocity": [
        "month",
        "currency",
        "open",
        "won",
        "lost",
        "win_rate",
        "average_won",
        "cycle_days",
        "velocity",
    ],
    "segments": [
        "segment",
        "currency",
        "opened",
        "opened_qualified",
        "opened_won",
        *OUTCOME_COLUMNS,
    ],
    "soe-receptions": ["reception", "won", "decided", "win_rate"],
    "slipped-steps": ["rep", "open_steps", "late", "moved"],
    "readiness": ["question", "answer", "won", "decided", "win_rate"],
    "lead-sources": [
        "source",
        "currency",
        "cost",
        "leads",
        "qualified",
        "won_value",
        "cost_per_qualified",
        "return",
    ],
    "coaching": [
        "rep",
        "conversations",
        "surfaced",
        "done",
        "dismissed",
        "patience_broken",
        "stuck",
        "happy_ears",
    ],
}

"""The dashboard's flow: conversion between stages, time in stage, win rate, deal size, cycle
and velocity (per currency, per month, per segment), each asserted exactly on a small
history built by hand (the period: January to June 2026)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline.dashboard import figures
from tests.pipeline.dashboard.conftest import scope

pytestmark = pytest.mark.django_db


def test_conversion_counts_skipped_stages_as_passed(manager, history):
    rows = figures.funnel(scope(manager))
    assert [
        (r["stage"], r["reached"], r["next_stage"], r["went_on"], r["conversion"]) for r in rows
    ] == [
        ("Lead", 6, "Qualified", 4, 66.7),
        ("Qualified", 4, "Solution development", 2, 50.0),
        ("Solution development", 2, "Evaluation", 2, 100.0),  # B skipped it, and counts
        ("Evaluation", 2, "Decision", 2, 100.0),
        ("Decision", 2, "Won", 2, 100.0),
    ]


def test_time_in_stage_median_and_80th_percentile(manager, history):
    rows = figures.time_in_stage(scope(manager))
    assert [(r["stage"], r["stays"], r["median_days"], r["p80_days"]) for r in rows] == [
        ("Lead", 5, 5.0, 12.0),  # 4, 5, 5, 10, 20 days; E is still in Lead
        ("Qualified", 3, 20.0, 20.0),  # 10, 20, 20; F is still there
        ("Solution development", 1, 10.0, 10.0),
        ("Evaluation", 2, 20.0, 20.0),
        ("Decision", 1, 10.0, 10.0),
    ]


def test_win_rate_size_cycle_and_velocity(manager, history):
    eur = {row["currency"]: row for row in figures.outcomes(scope(manager))}["EUR"]
    assert (eur["open"], eur["won"], eur["lost"], eur["disqualified"]) == (2, 2, 1, 1)
    assert eur["win_rate"] == 66.7  # disqualified is not a loss
    assert eur["won_value"] == Decimal("16000.00")
    assert eur["average_won"] == Decimal("8000.00")
    assert eur["cycle_days"] == 57.5  # 70 and 45 days
    # 2 open * 2/3 * 8,000 / 57.5 days
    assert eur["velocity"] == Decimal("185.51")


def test_velocity_trend_per_month(manager, history):
    rows = [r for r in figures.velocity_trend(scope(manager)) if r["currency"] == "EUR"]
    assert [r["month"] for r in rows] == [date(2026, month, 1) for month in range(1, 7)]
    january, february, march = rows[:3]
    assert (january["open"], january["won"], january["velocity"]) == (2, 0, None)
    assert (february["open"], february["won"], february["win_rate"]) == (2, 1, 100.0)
    assert february["velocity"] == Decimal("266.67")  # 2 * 1 * 6,000 / 45
    assert (march["open"], march["won"], march["lost"]) == (2, 1, 1)
    assert march["velocity"] == Decimal("142.86")  # 2 * 1/2 * 10,000 / 70
    assert all(row["currency"] != "GBP" for row in figures.velocity_trend(scope(manager)))


def test_segments_side_by_side(manager, history):
    rows = {(r["segment"], r["currency"]): r for r in figures.segments(scope(manager))}
    assert set(rows) == {("Hospitals", "EUR"), ("Hospitals", "GBP"), ("Schools", "EUR")}
    hospitals = rows[("Hospitals", "EUR")]
    assert (hospitals["won"], hospitals["lost"], hospitals["win_rate"]) == (2, 1, 66.7)
    assert hospitals["velocity"] == Decimal("0.00")  # nothing left open
    schools = rows[("Schools", "EUR")]
    assert (schools["open"], schools["disqualified"], schools["win_rate"]) == (2, 1, None)
    # How far the deals opened in the period got: D went straight to lost, so of the schools
    # only F was qualified.
    got = {
        key: (r["opened"], r["qualified_share"], r["opened_won_share"]) for key, r in rows.items()
    }
    assert got == {
        ("Hospitals", "EUR"): (3, 100.0, 66.7),
        ("Hospitals", "GBP"): (0, None, None),
        ("Schools", "EUR"): (3, 33.3, 0.0),
    }

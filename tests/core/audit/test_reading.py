"""Reading the audit history: an object's pages, a period's changes, what the lines say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesflow.core.audit import selectors
from salesflow.core.audit.context import audit_context
from salesflow.core.audit.selectors import DOORS, changes_in_period, object_history
from salesflow.core.audit.tracking import EVENT_MODELS
from salesflow.core.models import Team, User
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _rename(team: Team, times: int) -> None:
    for n in range(times):
        Team.objects.filter(pk=team.pk).update(name=f"{team.name} {n}")


def _queries_for_each_page(team: Team, limit: int) -> tuple[list[int], list[str]]:
    counts, names, cursor = [], [], None
    while True:
        with CaptureQueriesContext(connection) as queries:
            page, cursor = object_history(team, before=cursor, limit=limit)
        counts.append(len(queries))
        names.extend(change.fields[0].new for change in page if change.action == "changed")
        if cursor is None:
            return counts, names


def test_object_history_pages_newest_first_and_every_change_once():
    team = TeamFactory(name="North")
    _rename(team, 7)

    first, cursor = object_history(team, limit=3)
    second, cursor2 = object_history(team, before=cursor, limit=3)
    third, cursor3 = object_history(team, before=cursor2, limit=3)

    lines = [(c.action, [(f.old, f.new) for f in c.fields]) for c in first + second + third]
    assert cursor3 is None
    assert lines[0] == ("changed", [("North 5", "North 6")])
    assert lines[1] == ("changed", [("North 4", "North 5")])
    # Across the pages' edges the old and new values still follow each other.
    assert lines[2] == ("changed", [("North 3", "North 4")])
    assert lines[3] == ("changed", [("North 2", "North 3")])
    assert lines[6] == ("changed", [("North", "North 0")])
    assert lines[7] == ("created", [("—", "North"), ("—", "No")])
    assert len({c.key for c in first + second + third}) == 8


def test_object_history_costs_the_same_queries_per_page_whatever_its_length():
    short, long = TeamFactory(name="Short"), TeamFactory(name="Long")
    _rename(short, 4)
    _rename(long, 130)

    short_counts, _ = _queries_for_each_page(short, limit=50)
    long_counts, names = _queries_for_each_page(long, limit=50)

    # The first page reads the events and the live row; the next ones only their events
    # (the row after a page's first line is the cursor's own event, read with them).
    assert short_counts == [2]
    assert long_counts == [2, 1, 1]
    assert names[0] == "Long 129"
    assert names[-1] == "Long 0"
    assert len(names) == 130


def test_a_bad_cursor_reads_the_first_page():
    team = TeamFactory(name="East")
    page, _ = object_history(team, before="not-a-cursor")
    assert [change.action for change in page] == ["created"]


def test_foreign_keys_read_as_names_and_choices_as_labels():
    team = TeamFactory(name="West")
    boss = UserFactory(role="manager", team=team, first_name="Ana", last_name="Ribeiro")
    User.objects.filter(pk=boss.pk).update(role="sales_ops")
    Team.objects.filter(pk=team.pk).update(manager=boss, review_followups=True)

    [change, *_] = object_history(team)[0]
    assert [(f.label, f.old, f.new) for f in change.fields] == [
        ("Manager", "—", "Ana Ribeiro"),
        ("Review follow-up drafts", "No", "Yes"),
    ]
    [role_change, *_] = object_history(boss)[0]
    assert [(f.name, f.old, f.new) for f in role_change.fields] == [
        ("role", "Manager", "Sales ops")
    ]
    assert role_change.model_label == "User"


def test_a_deleted_object_keeps_its_history():
    team = TeamFactory(name="Gone")
    pk = team.pk
    team.delete()
    team.pk = pk
    page, _ = object_history(team)
    assert [c.action for c in page] == ["deleted", "created"]
    assert [(f.old, f.new) for f in page[0].fields if f.name == "name"] == [("Gone", "—")]


def test_changes_in_period_filters_by_time_user_model_and_door(monkeypatch):
    monkeypatch.setattr(selectors, "CHUNK", 2)  # several chunks per model
    ana = UserFactory(first_name="Ana", last_name="Ribeiro")
    start = timezone.now()
    teams = [TeamFactory(name=f"Team {n}") for n in range(3)]
    with audit_context(door="page", detail="/configure/teams/", user=ana.pk):
        for team in teams:
            Team.objects.filter(pk=team.pk).update(name=f"{team.name}!")
    with audit_context(door="command", detail="tidy_teams", user=None):
        Team.objects.filter(pk=teams[0].pk).update(name="Renamed by a command")
    User.objects.filter(pk=ana.pk).update(role="manager")
    until = timezone.now() + timedelta(seconds=1)

    every = list(changes_in_period(since=start, until=until))
    by_ana = list(changes_in_period(since=start, until=until, user_id=ana.pk))
    teams_only = list(changes_in_period(since=start, until=until, model="core.team"))
    commands = list(changes_in_period(since=start, until=until, door="command"))
    system = list(changes_in_period(since=start, until=until, door="system"))
    before = list(changes_in_period(since=start - timedelta(days=1), until=start))

    assert [c.at for c in every] == sorted((c.at for c in every), reverse=True)
    assert len({c.key for c in every}) == len(every)
    assert sorted(c.object_label for c in by_ana) == ["Renamed by a command", "Team 1!", "Team 2!"]
    assert {c.door_label for c in by_ana} == {"from the configuration page"}
    assert {c.actor for c in by_ana} == {ana}
    assert {c.model for c in teams_only} == {"core.team"}
    assert [(c.door_label, [(f.old, f.new) for f in c.fields]) for c in commands] == [
        ("by the command “tidy_teams”", [("Team 0!", "Renamed by a command")])
    ]
    assert [(c.model, c.actor_name, c.action) for c in system if c.action == "changed"] == [
        ("core.user", "salesflow", "changed")
    ]
    # Only Ana's creation came before the period started.
    assert [(c.model, c.action, c.object_id) for c in before] == [("core.user", "created", ana.pk)]
    # Inside the period the first rename of team 0 still shows what it became then.
    first_rename = next(c for c in by_ana if c.object_id == teams[0].pk and c.action == "changed")
    assert [(f.old, f.new) for f in first_rename.fields] == [("Team 0", "Team 0!")]


def test_every_audited_model_has_its_table_and_the_doors_are_labelled():
    assert set(selectors.AUDITED.values()) == set(EVENT_MODELS)
    assert set(DOORS) == {"page", "api", "admin", "task", "command", "import", "system"}
    assert "pipeline.opportunity" in selectors.AUDITED
    assert all(event._meta.object_name.endswith("Audit") for event in EVENT_MODELS.values())


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cursor=st.one_of(st.none(), st.text(max_size=30), st.integers().map(str)))
def test_any_cursor_reads_a_page_and_never_fails(cursor):
    team = Team.objects.get_or_create(name="Cursor")[0]
    page, following = object_history(team, before=cursor, limit=2)
    assert len(page) <= 2
    assert following is None or following.isdigit()

"""The soak, briefly: a minute of the rep's reads and writes through gunicorn with a Celery
worker SIGKILLed and the soak's own Redis stopped for 15 s; every promise holds. And the
checks themselves: a broken promise is found, and the command exits non-zero."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pipeline.benchmark import soak
from pipeline.followups.models import FollowUp, FollowUpEvent
from prospects.models import Account, Channel, Conversation, ConversationKind
from salesflow.core.models import OutboxMessage
from tests.factories import AccountFactory, UserFactory
from tests.hostile import fuzz, hostile


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)  # gunicorn and the workers read committed rows
def test_a_short_soak_with_a_worker_killed_and_redis_restarted_keeps_every_promise(
    shipped_rows,  # seed_demo's deals go into the default pipeline
    tmp_path,
):
    call_command("seed_demo", force=True, stdout=StringIO())
    accounts_before = Account.objects.count()
    out = StringIO()

    call_command(
        "soak",
        minutes=1,
        users=3,
        kill_every=30,
        redis_restart_at=10,
        redis_down=15,
        out=str(tmp_path),
        stdout=out,
    )

    result = json.loads(next(tmp_path.glob("soak-*.json")).read_text())
    assert result["failures"] == []
    # Every read page answered, while Redis was down too.
    assert set(result["requests"]) == {*soak.READS, *soak.WRITES}
    assert result["read_errors"] == []
    assert all(row["errors"] == 0 for kind, row in result["requests"].items() if kind in soak.READS)
    assert result["reads_while_redis_down"] > 0
    down, up = result["redis_down"]
    assert 10 <= down < up
    assert up - down >= 15
    kills = [fault for fault in result["faults"] if fault["what"].startswith("SIGKILL")]
    assert len(kills) == 1
    # Every kind of write went through, none half-saved.
    for kind in soak.WRITES:
        assert result["writes"][kind]["ok"] > 0
        assert result["writes"][kind]["error"] == 0
    assert result["half_saved"] == []
    # Each due follow-up surfaced exactly once, none early, and its owner was emailed once.
    follow_ups = result["follow_ups"]
    assert follow_ups["due"] > 0
    assert follow_ups["surfaced_once"] == follow_ups["due"]
    assert follow_ups["surfaced_twice"] == follow_ups["surfaced_early"] == 0
    assert follow_ups["surfaced_not_due"] == 0
    emails = result["emails"]
    assert emails["follow_up_emails"] == follow_ups["surfaced_once"]
    assert emails["lost"] == emails["unsent"] == 0
    assert emails["sent"] == emails["written"] + emails["waiting_before"]
    assert emails["distinct_message_ids"] == emails["sent"]
    # The block for docs/reliability.md, printed and written.
    printed = out.getvalue()
    assert "| Reads answer, Redis down or not |" in printed
    assert "**held**" in printed
    assert next(tmp_path.glob("soak-*.md")).read_text() in printed
    # The throwaway accounts are gone, and with them what was written on them.
    assert Account.objects.count() == accounts_before
    assert not Account.objects.filter(name__startswith=f"{soak.TAG} ").exists()
    assert not Conversation.objects.filter(notes__startswith=f"{soak.TAG} ").exists()
    assert not FollowUp.objects.filter(purpose__startswith=f"{soak.TAG} ").exists()


@pytest.fixture
def load(db):
    rep = UserFactory()
    account, quiet = AccountFactory(owner=rep), AccountFactory(owner=rep)
    return soak.UserLoad(number=0, account=account, deal=None, quiet=quiet, stages=(0, 0))


def _result() -> soak.SoakResult:
    return soak.SoakResult(
        started_at=timezone.now(),
        seconds=60,
        users=1,
        command="manage.py soak",
        dataset={},
        rep="rep",
        manager=None,
    )


def test_a_conversation_saved_twice_or_a_refused_one_saved_is_found_half_saved(load):
    def logged(notes: str) -> None:
        Conversation.objects.create(
            account=load.account,
            logged_by=load.account.owner,
            occurred_at=timezone.now(),
            channel=Channel.CALL,
            kind=ConversationKind.SOLUTION_DEVELOPMENT,
            notes=notes,
        )

    logged("soak: call #1")
    logged("soak: call #1")
    logged("soak: call #2")
    load.written = [
        soak.Written("log", "soak: call #1", "ok"),  # saved twice
        soak.Written("log", "soak: call #2", "refused"),  # refused, yet saved
        soak.Written("log", "soak: call #3", "error"),  # unknown outcome, not saved: fine
    ]
    result = _result()
    soak._check_conversations_and_follow_ups(result, load)
    assert result.half_saved == [
        "conversation “soak: call #1” (ok) saved 2 times",
        "conversation “soak: call #2” (refused) saved 1 times",
    ]
    assert any(failure.startswith("half-saved: ") for failure in result.failures())


def test_a_follow_up_surfaced_twice_or_early_breaks_the_promise(load):
    now = timezone.now()
    twice = FollowUp.objects.create(
        account=load.quiet,
        owner=load.quiet.owner,
        purpose="twice",
        surface_at=now,
        status="surfaced",
    )
    early = FollowUp.objects.create(
        account=load.quiet,
        owner=load.quiet.owner,
        purpose="early",
        surface_at=now + timedelta(days=1),
        status="surfaced",
    )
    for follow_up, at in ((twice, now), (twice, now), (early, now)):
        FollowUpEvent.objects.create(follow_up=follow_up, action="surfaced", at=at)

    result = _result()
    soak._check_follow_ups(result, [load], drain_from=now + timedelta(seconds=1))

    assert result.follow_ups["due"] == 1
    assert result.follow_ups["surfaced_once"] == 0
    assert result.follow_ups["surfaced_twice"] == 1
    assert result.follow_ups["surfaced_early"] == 1
    assert result.follow_ups["surfaced_not_due"] == 1
    failures = result.failures()
    assert "1 follow-ups due, 0 surfaced exactly once" in failures
    assert "follow-ups surfaced twice: 1" in failures
    assert "follow-ups surfaced early: 1" in failures


def test_a_read_error_a_lost_email_or_an_unsent_one_fails_the_command(monkeypatch, tmp_path, db):
    result = _result()
    result.requests = {"home": {"requests": 2, "errors": 1, "p50_ms": 1, "p95_ms": 1, "max_ms": 1}}
    result.read_errors = [{"kind": "home", "at": 3.0, "ms": 2.0, "status": 500, "error": "boom"}]
    result.emails = {"lost": 1, "unsent": 2}
    monkeypatch.setattr(soak, "run_soak", lambda *args, **kwargs: result)
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="3 promise"):
        call_command("soak", minutes=1, out=str(tmp_path), stdout=out, stderr=err)

    assert "1 read(s) failed" in err.getvalue()
    assert "1 email(s) marked sent never reached the SMTP server" in err.getvalue()
    assert "2 email(s) still unsent after the drain" in err.getvalue()
    assert "**BROKEN**" in out.getvalue()
    assert OutboxMessage.objects.count() == 0


@fuzz
@given(
    option=st.sampled_from(
        ["--minutes", "--users", "--kill-every", "--redis-restart-at", "--redis-down", "--pause"]
    ),
    value=hostile,
)
def test_any_option_value_is_taken_as_a_number_or_refused_in_words(option, value):
    from pipeline.management.commands.soak import Command

    parser = Command().create_parser("manage.py", "soak")
    refusal = ""
    try:
        parsed = parser.parse_args([option, value])
    except CommandError as error:
        refusal = str(error)
    if refusal:
        assert refusal.startswith(f"Error: argument {option}")
        return
    number = getattr(parsed, option.removeprefix("--").replace("-", "_"))
    assert isinstance(number, int | float)
    assert math.isfinite(number)  # "inf" or "nan" would crash the run, not start it
    assert 0 <= number <= 24 * 60 * 60
    if option in {"--minutes", "--users", "--redis-down"}:
        assert number > 0


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--minutes", "inf"),
        ("--minutes", "nan"),
        ("--minutes", "0"),
        ("--pause", "-1e9"),
        ("--users", "9999999999999999999999"),
        ("--kill-every", "1e3"),
    ],
)
def test_values_that_would_crash_or_never_end_are_refused(option, value):
    from pipeline.management.commands.soak import Command

    with pytest.raises(CommandError, match=f"argument {option}"):
        Command().create_parser("manage.py", "soak").parse_args([option, value])


def test_a_redis_restart_after_the_run_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(soak, "run_soak", lambda *args, **kwargs: pytest.fail("it ran"))
    with pytest.raises(CommandError, match="--redis-restart-at must fall within the run"):
        call_command("soak", minutes=1, redis_restart_at=60, out=str(tmp_path))

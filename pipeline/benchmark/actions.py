"""The main POSTs, made repeatable and undone.

Each POST changes data, so each runs on throwaway records made for the measurement: an
account of the rep (with a deal on it) that the POSTs log conversations on, move between
two open stages back and forth, and plan follow-ups for. Deleting that account afterwards
takes everything the POSTs wrote with it (conversations, timeline, stage history, flow
facts, follow-ups and their events all cascade), plus the notifications that point at
them, so the data set is left as it was.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pipeline.benchmark.timing import Result, measure
from pipeline.deals import selectors as deal_selectors
from pipeline.deals import services as deal_services
from pipeline.deals.models import Opportunity, Stage, StageChange
from pipeline.followups.models import FollowUp
from prospects import services as prospect_services
from prospects.models import Account, Answer, Channel, Conversation, ConversationKind
from salesflow.core.models import IdempotencyKey, Notification, User

# Everything the harness creates is named with this, so it can always be found and removed.
TAG = "bench-harness"
FOLLOW_UP_PURPOSE = f"{TAG}: agree the pilot scope with their finance lead"
# A kind a default patience rule follows up, so logging also runs the proposal path.
CONVERSATION_KIND = ConversationKind.SOLUTION_DEVELOPMENT


@dataclass
class Sandbox:
    account: Account
    deal: Opportunity
    there: Stage  # the deal moves between these two open stages
    back: Stage


def sandbox_create(*, rep: User, like: Account, name: str | None = None) -> Sandbox:
    """A throwaway account of the rep, shaped like `like` (segment and lead source pick its
    pipeline), with an open deal already past its first stage. Without a `name`, one that
    remove_leftovers finds."""
    name = name or f"{TAG} throwaway {timezone.now():%Y%m%d-%H%M%S}"
    account = prospect_services.account_create(
        actor=rep,
        name=name,
        owner=rep,
        segment=like.segment,
        lead_source=like.lead_source,
    )
    deal = deal_services.opportunity_create(
        actor=rep, account=account, name=f"{name} deal", owner=rep, value=Decimal(25_000)
    )
    stages = deal_selectors.open_stages(pipeline=deal.pipeline)
    if len(stages) < 2:
        raise ValueError(f"The pipeline {deal.pipeline} has fewer than two open stages.")
    # Past the first stage when the pipeline allows: a deal's first move out of it is its
    # qualification, a one-off; the moves measured are the everyday ones.
    there, back = (stages[1], stages[2]) if len(stages) >= 3 else (stages[0], stages[1])
    if deal.stage_id != back.pk:
        deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=back)
    return Sandbox(account=account, deal=deal, there=there, back=back)


def sandbox_remove(account: Account) -> bool:
    """Delete a throwaway account and everything the POSTs wrote; True when nothing is
    left of it."""
    deals = list(Opportunity.objects.filter(account=account).values_list("pk", flat=True))
    follow_ups = FollowUp.objects.filter(account=account).values_list("pk", flat=True)
    urls = [reverse("pipeline:followup_detail", args=[pk]) for pk in follow_ups]
    urls += [reverse("pipeline:opportunity_detail", args=[pk]) for pk in deals]
    urls.append(reverse("prospects:account_detail", args=[account.pk]))
    # Notifications point at what they are about by address, not by a foreign key.
    Notification.objects.filter(url__in=urls).delete()
    # The API's answers kept for retries: the harness's keys are named by its tag.
    IdempotencyKey.objects.filter(key__startswith=TAG).delete()
    Account.objects.filter(pk=account.pk).delete()
    return not (
        Account.objects.filter(pk=account.pk).exists()
        or Opportunity.objects.filter(pk__in=deals).exists()
        or Notification.objects.filter(url__in=urls).exists()
        or IdempotencyKey.objects.filter(key__startswith=TAG).exists()
    )


def remove_leftovers() -> int:
    """Throwaway accounts a crashed earlier run left behind."""
    leftovers = Account.objects.filter(name__startswith=f"{TAG} throwaway")
    return sum(sandbox_remove(account) for account in leftovers)


def _effect(what: str, expected: int, found: int) -> dict[str, object]:
    return {"what": what, "expected": expected, "found": found, "ok": expected == found}


def measure_posts(
    sandbox: Sandbox,
    clients: dict[int, Client],
    users: list[User],
    *,
    requests: int,
    warmup: int,
    rerun: int,
) -> list[Result]:
    """Each POST as each user, counting what it wrote against what it should have."""
    results: list[Result] = []
    account, deal = sandbox.account, sandbox.deal
    sent = warmup + requests

    conversation_url = reverse("prospects:conversation_create", args=[account.pk])
    api_conversations_url = reverse("prospects_api:conversations")
    move_url = reverse("pipeline:opportunity_move", args=[deal.pk])
    follow_up_url = reverse("pipeline:followup_create", args=[account.pk])
    # The deal is in `back` now; each move posts the stage the board showed, as a card does.
    at = {"stage": sandbox.back}

    for user in users:
        client = clients[user.pk]

        def log(_: int, client: Client = client) -> HttpResponse:
            # As the account page sends it: htmx, the fragment comes back in place.
            when = timezone.localtime() - timedelta(minutes=5)
            return client.post(
                conversation_url,
                {
                    "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
                    "channel": Channel.CALL,
                    "kind": CONVERSATION_KIND,
                    "notes": f"{TAG}: walked through the pilot plan; they want finance in.",
                    "emotion_found": "Hopeful",
                    "has_problem": Answer.YES,
                    "accepts_significance": Answer.YES,
                    "ready_to_act": Answer.UNKNOWN,
                },
                secure=True,
                headers={"HX-Request": "true"},
            )

        def log_api(_: int, client: Client = client) -> HttpResponse:
            # As an integration sends it: JSON, with a fresh Idempotency-Key (kept with
            # the conversation, so its cost is measured too).
            body = {
                "account": account.pk,
                "occurred_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
                "channel": Channel.CALL,
                "kind": CONVERSATION_KIND,
                "notes": f"{TAG}: walked through the pilot plan; they want finance in.",
                "has_problem": Answer.YES,
            }
            return client.post(
                api_conversations_url,
                json.dumps(body),
                content_type="application/json",
                secure=True,
                headers={"Idempotency-Key": f"{TAG}-{uuid.uuid4()}"},
            )

        def move(_: int, client: Client = client) -> HttpResponse:
            # As a board card sends it (htmx), between two open stages, back and forth.
            seen = at["stage"]
            to = sandbox.there if seen.pk == sandbox.back.pk else sandbox.back
            response = client.post(
                move_url,
                {"stage": to.pk, "from_stage": seen.pk},
                secure=True,
                headers={"HX-Request": "true"},
            )
            if response.status_code == 200:
                at["stage"] = to
            return response

        def plan(_: int, client: Client = client) -> HttpResponse:
            # The plain form (no htmx): it redirects to the new follow-up's page.
            return client.post(
                follow_up_url,
                {
                    "purpose": FOLLOW_UP_PURPOSE,
                    "channel": Channel.EMAIL,
                    "draft": "Hello, following up on the pilot plan as promised.",
                    "opportunity": deal.pk,
                },
                secure=True,
            )

        scenarios: list[tuple[str, str, Callable[[int], HttpResponse], int, Callable[[], int]]] = [
            (
                "POST log a conversation",
                conversation_url,
                log,
                200,
                lambda user=user: Conversation.objects.filter(
                    account=account, logged_by=user
                ).count(),
            ),
            (
                "POST API: log a conversation",
                api_conversations_url,
                log_api,
                201,
                lambda user=user: Conversation.objects.filter(
                    account=account, logged_by=user
                ).count(),
            ),
            (
                "POST move a stage",
                move_url,
                move,
                200,
                lambda user=user: (
                    StageChange.objects.filter(opportunity=deal, by=user)
                    .exclude(Q(from_stage__isnull=True))
                    .count()
                ),
            ),
            (
                "POST plan a follow-up",
                follow_up_url,
                plan,
                302,
                lambda: FollowUp.objects.filter(account=account, purpose=FOLLOW_UP_PURPOSE).count(),
            ),
        ]
        for label, url, send, status, count in scenarios:
            before = count()
            result = measure(
                send,
                label=label,
                user=user.username,
                method="POST",
                url=url,
                expected_status=status,
                requests=requests,
                warmup=warmup,
                rerun=rerun,
            )
            result.effect = _effect(label.removeprefix("POST "), sent, count() - before)
            results.append(result)
    return results

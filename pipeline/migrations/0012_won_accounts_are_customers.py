"""An account with a won deal is a customer. Winning a deal left its account a prospect
before opportunity_move_stage made it one; this puts the accounts that won before right,
with the change on their timeline when their first deal was won."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

BATCH = 1000


def make_customers(apps, schema_editor):
    account_model = apps.get_model("prospects", "Account")
    event_model = apps.get_model("prospects", "AccountEvent")
    opportunity_model = apps.get_model("pipeline", "Opportunity")
    won = opportunity_model.objects.filter(
        account=OuterRef("pk"), stage__outcome="won"
    ).order_by("closed_at", "pk")
    accounts = (
        account_model.objects.exclude(status="customer")
        .filter(Exists(won))
        .annotate(
            won_at=Subquery(won.values("closed_at")[:1]),
            won_name=Subquery(won.values("name")[:1]),
        )
        .values_list("pk", "status", "won_at", "won_name")
    )
    labels = {"prospect": "Prospect", "disqualified": "Disqualified"}
    rows = list(accounts)
    now = timezone.now()
    event_model.objects.bulk_create(
        (
            event_model(
                account_id=pk,
                kind="status",
                occurred_at=won_at or now,
                summary=f"{labels.get(status, status)} → Customer: won “{name}”"[:300],
            )
            for pk, status, won_at, name in rows
        ),
        batch_size=BATCH,
    )
    ids = [pk for pk, *_ in rows]
    for start in range(0, len(ids), BATCH):
        account_model.objects.filter(pk__in=ids[start : start + BATCH]).update(
            status="customer", disqualified_reason=""
        )


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0011_calendar_feed_token_hash"),
        ("prospects", "0005_account_list_order"),
    ]

    # Which of them were customers before is not known any more: nothing to undo.
    operations = [migrations.RunPython(make_customers, migrations.RunPython.noop)]

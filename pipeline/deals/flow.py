"""What the dashboard needs from each deal's stage history, kept beside it.

Reading the whole history on every dashboard request grows with every deal ever opened, so
three facts are written down when the history changes (by `opportunity_create`,
`opportunity_move_stage` and anything that rewrites history in bulk — the demo, the scale
data set in pipeline/benchmark/scale/, the migration that introduced them):

- each stage change's `left_at`: when the deal moved on (time in stage is then a plain
  aggregate over stays that ended in a period);
- each deal's `furthest_rank`: the position of the furthest open stage it reached, or
  WON_RANK once won (the funnel: a deal that skipped a stage still passed it);
- each deal's qualification: the first move on to a later stage or to won, when it happened
  and the prospect's three answers at that moment (readiness, lead sources).

`refresh` recomputes all three from the history with set-based UPDATEs. It takes the model
classes so the migration can pass its historical ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

WON_RANK = 32767  # past every open stage's position
# The reflection questions' fields (prospects.models.READINESS_QUESTIONS), spelled out here
# so the migration that first filled them keeps working whatever that list becomes.
ANSWERS = ("has_problem", "accepts_significance", "ready_to_act")


def rank_of(outcome: str, position: int) -> int | None:
    """A stage's place in the funnel: its position if open, past them all if won."""
    return WON_RANK if outcome == "won" else position if outcome == "open" else None


def refresh(
    opportunity_model: type,
    stage_change_model: type,
    *,
    ids: Iterable[int] | None = None,
) -> None:
    deals = opportunity_model.objects.all()
    changes = stage_change_model.objects.all()
    if ids is not None:
        ids = list(ids)
        deals, changes = deals.filter(pk__in=ids), changes.filter(opportunity_id__in=ids)
    later = stage_change_model.objects.filter(opportunity_id=OuterRef("opportunity_id")).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    )
    changes.update(left_at=Subquery(later.order_by("at", "pk").values("at")[:1]))

    rank = Case(
        When(to_stage__outcome="won", then=Value(WON_RANK)),
        When(to_stage__outcome="open", then=F("to_stage__position")),
        default=Value(-1),
        output_field=IntegerField(),
    )
    history = stage_change_model.objects.filter(opportunity_id=OuterRef("pk")).order_by()
    furthest = history.values("opportunity_id").annotate(top=Max(rank)).values("top")
    # Qualified: the first move to a later open stage, or to won (a move to lost is not).
    qualifying = (
        history.exclude(from_stage=None)
        .filter(
            Q(to_stage__outcome="won")
            | Q(to_stage__outcome="open", to_stage__position__gt=F("from_stage__position"))
        )
        .order_by("at", "pk")
    )
    deals.update(
        furthest_rank=Subquery(furthest, output_field=IntegerField()),
        qualified_at=Subquery(qualifying.values("at")[:1]),
        **{
            f"qualified_{name}": Coalesce(Subquery(qualifying.values(name)[:1]), Value(""))
            for name in ANSWERS
        },
    )

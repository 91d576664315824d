"""/api/v1/dashboard/: the dashboard page's figures, for the same filters and the same viewer.

The filters are read by the page's own form (DashboardFilterForm) and the figures come from
the page's Scope and snapshot: a rep gets their own figures, a manager their team's, sales
ops everyone's, and the figures kept for that view are the ones the page would show. Where
the page drops a bad filter and warns, the API refuses it: a 400 problem naming the
parameter, so a script never reads figures it did not ask for.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pipeline.dashboard import snapshot
from pipeline.dashboard.forms import DashboardFilterForm
from pipeline.dashboard.scope import Scope, sees_own_only
from salesflow.core.api.errors import problem_responses

# --- What each figure's rows hold (the schema documents every one) -------------------------


def _money(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text=help_text
    )


def _share(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True, help_text=help_text + " (%; null: none to count)."
    )


CURRENCY = "The deals' currency: money is never added up across currencies."


class TotalsRow(serializers.Serializer):
    currency = serializers.CharField(help_text=CURRENCY)
    best_case = _money("Every open deal's value.")
    commit = _money("Open deals in stages at or above the commit probability.")
    weighted = _money("Open deals' value times their stage's probability.")


class StageRow(serializers.Serializer):
    pipeline = serializers.CharField(source="pipeline__name")
    stage = serializers.CharField(source="stage__name")
    position = serializers.IntegerField(source="stage__position", help_text="Board order.")
    probability = serializers.IntegerField(source="stage__probability", help_text="In %.")
    currency = serializers.CharField(help_text=CURRENCY)
    count = serializers.IntegerField(help_text="Open deals in the stage.")
    amount = _money("Their value.")
    weighted = _money("Their value times the stage's probability.")


class MonthRow(serializers.Serializer):
    month = serializers.DateField(
        allow_null=True, help_text="First day of the month of expected close; null: no date."
    )
    currency = serializers.CharField(help_text=CURRENCY)
    count = serializers.IntegerField(help_text="Open deals expected to close that month.")
    amount = _money("Their value.")
    weighted = _money("Their weighted value.")


class QuarterRow(serializers.Serializer):
    fiscal_year = serializers.IntegerField(help_text="Named by the year it starts in.")
    quarter = serializers.IntegerField(help_text="1 to 4.")
    currency = serializers.CharField(help_text=CURRENCY)
    count = serializers.IntegerField(help_text="Open deals expected to close that quarter.")
    amount = _money("Their value.")
    weighted = _money("Their weighted value.")


class FunnelRow(serializers.Serializer):
    pipeline = serializers.CharField()
    stage = serializers.CharField()
    reached = serializers.IntegerField(
        help_text="Deals opened in the period that reached this stage (or went past it)."
    )
    next_stage = serializers.CharField(help_text="The next open stage, or “Won”.")
    went_on = serializers.IntegerField(help_text="Of those, how many reached the next stage.")
    conversion = _share("went_on of reached")


class TimeInStageRow(serializers.Serializer):
    pipeline = serializers.CharField()
    stage = serializers.CharField()
    stays = serializers.IntegerField(help_text="Stays in the stage that ended in the period.")
    median_days = serializers.FloatField(help_text="Their median length in days.")
    p80_days = serializers.FloatField(help_text="80% of them were this many days or shorter.")


class OutcomeFields(serializers.Serializer):
    open = serializers.IntegerField(help_text="Open deals now.")
    won = serializers.IntegerField(help_text="Deals won in the period.")
    lost = serializers.IntegerField(help_text="Deals lost in the period (not disqualified).")
    disqualified = serializers.IntegerField(help_text="Deals disqualified in the period.")
    win_rate = _share("won of won and lost")
    won_value = _money("Value won in the period.")
    average_won = _money("Average value of a deal won; null: none won.")
    cycle_days = serializers.FloatField(
        allow_null=True, help_text="Average days from opening to winning; null: none won."
    )
    velocity = _money(
        "Open deals * win rate * average won / cycle days: value won a day at this pace; "
        "null: nothing decided."
    )


class OutcomeRow(OutcomeFields):
    currency = serializers.CharField(help_text=CURRENCY)


class SegmentRow(OutcomeFields):
    segment = serializers.CharField(help_text="The accounts' segment, or “No segment”.")
    currency = serializers.CharField(help_text=CURRENCY)
    opened = serializers.IntegerField(help_text="Deals opened in the period.")
    opened_qualified = serializers.IntegerField(help_text="Of those, how many were qualified.")
    opened_won = serializers.IntegerField(help_text="Of those, how many are won so far.")
    qualified_share = _share("opened_qualified of opened")
    opened_won_share = _share("opened_won of opened")


class VelocityRow(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    currency = serializers.CharField(help_text=CURRENCY)
    open = serializers.IntegerField(help_text="Deals open at the month's end.")
    won = serializers.IntegerField(help_text="Deals won that month.")
    lost = serializers.IntegerField(help_text="Deals lost that month.")
    win_rate = _share("won of won and lost")
    average_won = _money("Average value of a deal won that month.")
    cycle_days = serializers.FloatField(allow_null=True, help_text="Average days to win.")
    velocity = _money("Open * win rate * average won / cycle days.")


class ReceptionShare(serializers.Serializer):
    reception = serializers.CharField(help_text="How the prospect received their SOE.")
    count = serializers.IntegerField()
    share = _share("of the deals with an SOE")


class SoeHealth(serializers.Serializer):
    deals = serializers.IntegerField(help_text="Deals open now or closed in the period.")
    with_soe = serializers.IntegerField(help_text="Of those, how many have an SOE.")
    with_soe_share = _share("with_soe of deals")
    receptions = ReceptionShare(many=True)


class ReceptionRow(serializers.Serializer):
    reception = serializers.CharField(help_text="How the SOE was received, or “No SOE”.")
    won = serializers.IntegerField(help_text="Deals won in the period.")
    decided = serializers.IntegerField(help_text="Deals won or lost in the period.")
    win_rate = _share("won of decided")


class SlippedRow(serializers.Serializer):
    rep_id = serializers.IntegerField()
    rep = serializers.CharField(help_text="The deals' owner (username).")
    open_steps = serializers.IntegerField(help_text="Open SOE steps on their open deals.")
    late = serializers.IntegerField(help_text="Of those, past their date.")
    moved = serializers.IntegerField(help_text="Of those, dated later than first agreed.")


class ReadinessRow(serializers.Serializer):
    question = serializers.CharField(help_text="A reflection question, or “All three”.")
    answer = serializers.CharField(help_text="Its answer when the deal was qualified.")
    won = serializers.IntegerField()
    decided = serializers.IntegerField(help_text="Qualified deals won or lost in the period.")
    win_rate = _share("won of decided")


class LeadSourceRow(serializers.Serializer):
    source = serializers.CharField()
    currency = serializers.CharField(help_text="The source's currency.")
    cost = _money(
        "What it cost in the period; null for a monthly cost on a narrowed view (a rep's "
        "own, or a team, owner, pipeline or segment): that cost is the company's."
    )
    leads = serializers.IntegerField(help_text="Accounts it brought in the period.")
    qualified = serializers.IntegerField(help_text="Deals opened in the period and qualified.")
    won_value = _money("Value won in the period, in the source's currency.")
    cost_per_qualified = _money("cost / qualified.")
    # "return" is a Python keyword: the field is added under that name below.


LeadSourceRow._declared_fields["return"] = _money("won_value / cost: ten cents out per five in.")


class CoachingRow(serializers.Serializer):
    rep_id = serializers.IntegerField()
    rep = serializers.CharField(help_text="The rep's name.")
    conversations = serializers.IntegerField(help_text="Conversations logged in the period.")
    surfaced = serializers.IntegerField(help_text="Follow-ups surfaced in the period.")
    done = serializers.IntegerField(help_text="Follow-ups done in the period.")
    dismissed = serializers.IntegerField(help_text="Follow-ups dismissed in the period.")
    patience_broken = serializers.IntegerField(
        help_text="Follow-ups surfaced early on purpose, with a reason."
    )
    stuck = serializers.IntegerField(help_text="Open deals stuck now.")
    happy_ears = serializers.IntegerField(
        help_text="Open deals in commit stages the evidence does not carry."
    )


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Included.")


class FiltersSerializer(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True)
    owner = serializers.IntegerField(allow_null=True)
    pipeline = serializers.IntegerField(allow_null=True)
    segment = serializers.IntegerField(allow_null=True)
    lead_source = serializers.IntegerField(allow_null=True)
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)


# The page's figures (pipeline.dashboard.snapshot.FIGURES), under the API's names.
FIGURES: dict[str, tuple[str, serializers.Serializer]] = {
    "totals": ("totals", TotalsRow(many=True, help_text="Commit and best case, per currency.")),
    "stages": ("stages", StageRow(many=True, help_text="The pipeline now: open deals by stage.")),
    "months": ("months", MonthRow(many=True, help_text="Weighted forecast by month.")),
    "quarters": ("quarters", QuarterRow(many=True, help_text="Weighted forecast by quarter.")),
    "funnel": ("funnel", FunnelRow(many=True, help_text="Conversion between stages.")),
    "time_in_stage": ("time-in-stage", TimeInStageRow(many=True, help_text="Time in stage.")),
    "outcomes": ("outcomes", OutcomeRow(many=True, help_text="Win rate and velocity.")),
    "velocity": ("velocity", VelocityRow(many=True, help_text="Velocity month by month.")),
    "segments": ("segments", SegmentRow(many=True, help_text="The outcomes per segment.")),
    "soe": ("soe", SoeHealth(help_text="How many deals have an SOE, and its reception.")),
    "soe_receptions": (
        "soe-receptions",
        ReceptionRow(many=True, help_text="Win rate by how the SOE was received."),
    ),
    "slipped_steps": (
        "slipped-steps",
        SlippedRow(many=True, help_text="Late and moved SOE steps per rep."),
    ),
    "readiness": (
        "readiness",
        ReadinessRow(many=True, help_text="Win rate by the three reflection answers."),
    ),
    "lead_sources": (
        "lead-sources",
        LeadSourceRow(many=True, help_text="What each lead source cost and brought."),
    ),
    "coaching": ("coaching", CoachingRow(many=True, help_text="Coaching figures per rep.")),
}


class DashboardSerializer(serializers.Serializer):
    taken_at = serializers.DateTimeField(
        help_text="When these figures were worked out: they are kept for a few minutes, "
        "as on the page."
    )
    own_only = serializers.BooleanField(
        help_text="True on a rep's dashboard: their own figures, with no team or rep to pick."
    )
    period = PeriodSerializer(
        help_text="Flow, lead sources and coaching count what happened in these days; "
        "without start and end, the last twelve months."
    )
    filters = FiltersSerializer(help_text="The filters applied (null: not filtered).")
    commit_probability = serializers.IntegerField(
        help_text="A stage at or above this probability (%) counts towards commit."
    )


for _name, (_, _figure) in FIGURES.items():
    DashboardSerializer._declared_fields[_name] = _figure


def _answer(scope: Scope, kept: snapshot.Snapshot) -> dict[str, Any]:
    body: dict[str, Any] = {
        "taken_at": kept.taken_at,
        "own_only": scope.sees_own_only,
        "period": {"start": scope.period.start, "end": scope.period.end},
        "filters": asdict(scope.filters),
        "commit_probability": settings.SALESFLOW_COMMIT_PROBABILITY,
    }
    body.update({name: kept.figures[figure] for name, (figure, _) in FIGURES.items()})
    return DashboardSerializer(body).data


def _id_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, int, description=description)


DASHBOARD_EXAMPLE = OpenApiExample(
    "A manager's figures (rows shortened)",
    value={
        "taken_at": "2026-12-01T09:30:00Z",
        "own_only": False,
        "period": {"start": "2025-12-02", "end": "2026-12-01"},
        "filters": {
            "team": None,
            "owner": None,
            "pipeline": None,
            "segment": 3,
            "lead_source": None,
            "start": None,
            "end": None,
        },
        "commit_probability": 70,
        "totals": [
            {
                "currency": "EUR",
                "best_case": "420000.00",
                "commit": "150000.00",
                "weighted": "180500.00",
            }
        ],
        "stages": [],
        "months": [],
        "quarters": [],
        "funnel": [
            {
                "pipeline": "New business",
                "stage": "Qualified",
                "reached": 40,
                "next_stage": "Solution development",
                "went_on": 22,
                "conversion": 55.0,
            }
        ],
        "time_in_stage": [],
        "outcomes": [],
        "velocity": [],
        "segments": [],
        "soe": {"deals": 52, "with_soe": 30, "with_soe_share": 57.7, "receptions": []},
        "soe_receptions": [],
        "slipped_steps": [],
        "readiness": [],
        "lead_sources": [],
        "coaching": [],
    },
    response_only=True,
)


class Dashboard(APIView):
    @extend_schema(
        summary="The dashboard's figures",
        description="Every figure of the dashboard page, worked out over the deals you may "
        "see (a rep: their own; a manager: their team's; sales ops: everyone's) and "
        "narrowed by the page's filters. Forecast figures (totals, stages, months, quarters) "
        "are today's open deals, `start`/`end` bounding their expected close; the others "
        "count what happened in the period. A filter the page would not accept (a team or "
        "rep you may not see; a team or rep at all on a rep's dashboard; a bad date) is a "
        "400 naming it. Money is a decimal string, shares are percentages.",
        parameters=[
            _id_parameter("team", "Only this team's deals (not on a rep's dashboard)."),
            _id_parameter("owner", "Only this rep's deals (not on a rep's dashboard)."),
            _id_parameter("pipeline", "Only this pipeline's deals."),
            _id_parameter("segment", "Only deals with accounts in this segment."),
            _id_parameter("lead_source", "Only deals from this lead source."),
            OpenApiParameter("start", str, description="From this day (YYYY-MM-DD)."),
            OpenApiParameter("end", str, description="Until this day, included (YYYY-MM-DD)."),
        ],
        responses={200: DashboardSerializer, **problem_responses(400, 401)},
        examples=[DASHBOARD_EXAMPLE],
        tags=["dashboard"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        if sees_own_only(user):
            # The page has no such fields for a rep; a script asking is told, not ignored.
            refused = {
                name: ["A rep's dashboard is their own: there is no team or rep to pick."]
                for name in ("team", "owner")
                if name in request.query_params
            }
            if refused:
                raise ValidationError(refused)
        form = DashboardFilterForm(request.query_params, user=user)
        if not form.is_valid():
            raise ValidationError(_messages(form))
        scope = Scope(user=user, filters=form.filters())
        return Response(_answer(scope, snapshot.get(scope)))


def _messages(form: DashboardFilterForm) -> dict[str, list[str]]:
    return {name: [str(error) for error in errors] for name, errors in form.errors.items()}

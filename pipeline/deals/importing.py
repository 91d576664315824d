"""The import of deals, registered with prospects' importer (its upload, mapping screen, job
and worker) from pipeline's ready(): prospects may not import what builds on it.

A row names its account, matched by name with case, punctuation and company suffixes set
aside (an import of deals never creates accounts), and the deal is matched on that account
by its name, case aside. A new deal may start in any open stage of its pipeline (the
account's default pipeline when there is no pipeline column). An existing deal's stage moves
through opportunity_move_stage, the one door of every move, so the move is recorded and its
rules hold; a move into a won or lost stage asks for a reason, which a file does not give, so
such a row is an error: close the deal on its page. The created date is kept on a new deal
(and its opening in the stage history); an existing deal's is history and is not rewritten.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from pipeline.deals import access as deal_access
from pipeline.deals import flow, services
from pipeline.deals import selectors as deal_selectors
from pipeline.deals.models import Opportunity, Pipeline, Stage, StageChange
from prospects import access as prospect_access
from prospects.importing import kinds
from prospects.importing.accounts import account_key, accounts_named, people_by_name
from prospects.importing.csvfile import PROGRESS_EVERY, Checked, ParsedRow, RowErrors, choice
from prospects.models import Account, Currency, ImportMode
from salesflow.core.models import User

FIELDS = (
    kinds.Field("account_name", "Account name", required=True, aliases=("account", "company")),
    kinds.Field("deal_name", "Deal name", required=True, aliases=("deal", "opportunity", "name")),
    kinds.Field("value", "Value", aliases=("amount", "deal_value")),
    kinds.Field("currency", "Currency"),
    kinds.Field("stage", "Stage", aliases=("deal_stage",)),
    kinds.Field("pipeline", "Pipeline"),
    kinds.Field("owner", "Deal owner", aliases=("deal_owner",)),
    kinds.Field("expected_close", "Expected close", aliases=("expected_close_date", "close_date")),
    kinds.Field("created", "Created on", aliases=("created_at", "created_date", "opened")),
)
COLUMNS = [f.name for f in FIELDS]
# Column -> the deal's field it compares with and updates (opportunity_update's own).
UPDATED = {
    "value": "value",
    "currency": "currency",
    "owner": "owner",
    "expected_close": "expected_close_date",
}
BATCH = 1000
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]


class RowForm(forms.Form):
    account_name = forms.CharField(max_length=200)
    deal_name = forms.CharField(max_length=200)
    value = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )
    currency = forms.CharField(max_length=40, required=False)
    stage = forms.CharField(max_length=100, required=False)
    pipeline = forms.CharField(max_length=100, required=False)
    owner = forms.CharField(max_length=254, required=False)
    expected_close = forms.DateField(required=False, input_formats=DATE_FORMATS)
    created = forms.DateField(required=False, input_formats=DATE_FORMATS)

    def clean_created(self) -> dt.date | None:
        created = self.cleaned_data["created"]
        if created and created > timezone.localdate():
            raise forms.ValidationError("A deal cannot be created in the future.")
        if created and created.year < 1970:
            raise forms.ValidationError("Give a date from 1970 on.")
        return created


@dataclass
class Step:
    line: int
    action: str  # "create", "update" or "unchanged"
    account: Account
    deal: Opportunity | None = None
    values: dict[str, object] = field(default_factory=dict)
    changes: dict[str, object] = field(default_factory=dict)
    move_to: Stage | None = None


def check(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    actor: User,
    mode: str,
    mapped: set[str],
    progress: Callable[[int], None] | None = None,
) -> Checked:
    owners, assignable = people_by_name(actor)
    pipelines = {p.name.lower(): p for p in Pipeline.objects.all()}
    stages: dict[tuple[int, str], Stage] = {
        (stage.pipeline_id, stage.name.lower()): stage for stage in Stage.objects.all()
    }
    checked = Checked()
    for count, (line, values) in enumerate(rows, start=1):
        form = RowForm(values)
        before = checked.error_count
        if not form.is_valid():
            for column, messages in form.errors.items():
                for message in messages:
                    checked.add_error(line, column, message)
        data = {column: form.cleaned_data.get(column, values.get(column, "")) for column in COLUMNS}
        _resolve(data, line, checked, owners=owners, pipelines=pipelines)
        if checked.error_count == before:
            checked.rows.append(ParsedRow(line=line, data=data))
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    # Planned even when some rows failed, so the report names every problem at once (the
    # matches, the read-only records) and not only the first kind found.
    checked.plan = _plan(
        checked, actor=actor, mode=mode, mapped=mapped, stages=stages, assignable=assignable
    )
    return checked


def _resolve(
    data: dict[str, object],
    line: int,
    checked: Checked,
    *,
    owners: dict[str, User],
    pipelines: dict[str, Pipeline],
) -> None:
    owner = str(data["owner"] or "")
    data["owner"] = None
    if owner:
        if owner.lower() not in owners:
            checked.add_error(line, "owner", f"“{owner}” is not someone you can give deals to.")
        data["owner"] = owners.get(owner.lower())
    currency = str(data["currency"] or "")
    data["currency"] = None
    if currency:
        data["currency"] = choice(currency, Currency)
        if data["currency"] is None:
            checked.add_error(
                line, "currency", f"Use one of {', '.join(Currency.values)} for the currency."
            )
    name = str(data["pipeline"] or "")
    data["pipeline"] = None
    if name:
        data["pipeline"] = pipelines.get(name.lower())
        if data["pipeline"] is None:
            checked.add_error(line, "pipeline", f"There is no pipeline named “{name}”.")


def _plan(
    checked: Checked,
    *,
    actor: User,
    mode: str,
    mapped: set[str],
    stages: dict[tuple[int, str], Stage],
    assignable: set[int],
) -> list[Step]:
    keys = {account_key(str(row.data["account_name"])) for row in checked.rows}
    accounts = accounts_named(actor, keys)
    found = [a[0] for a in accounts.values() if len(a) == 1]
    deals: dict[tuple[int, str], list[Opportunity]] = defaultdict(list)
    for start in range(0, len(found), BATCH):
        batch = found[start : start + BATCH]
        for deal in Opportunity.objects.filter(account__in=batch).select_related("owner", "stage"):
            deals[(deal.account_id, deal.name.lower())].append(deal)
    plan: list[Step] = []
    seen: dict[tuple[int, str], int] = {}
    for row in checked.rows:
        data, line = row.data, row.line
        candidates = accounts.get(account_key(str(data["account_name"])), [])
        if len(candidates) != 1:
            message = (
                f"No account you can see is named “{data['account_name']}”; import it first."
                if not candidates
                else "More than one account has this name; rename one first."
            )
            checked.add_error(line, "account_name", message)
            continue
        account = candidates[0]
        key = (account.pk, str(data["deal_name"]).lower())
        if key in seen:
            checked.add_error(
                line, "deal_name", f"Line {seen[key]} already names this deal at this account."
            )
            continue
        seen[key] = line
        matches = deals.get(key, [])
        if len(matches) > 1:
            checked.add_error(
                line, "deal_name", "More than one deal at this account has this name."
            )
            continue
        step = (
            _existing(
                row,
                account,
                matches[0],
                checked,
                actor=actor,
                mode=mode,
                mapped=mapped,
                stages=stages,
            )
            if matches
            else _new(row, account, checked, actor=actor, mode=mode, stages=stages)
        )
        if step is None:
            continue
        owner = step.values.get("owner") or step.changes.get("owner")
        if isinstance(owner, User) and owner.pk not in assignable:
            # A teammate's deal keeps its owner untouched; giving one is the actor's reach.
            checked.add_error(
                line, "owner", f"“{owner.username}” is not someone you can give deals to."
            )
            continue
        plan.append(step)
    return plan


def _new(
    row: ParsedRow,
    account: Account,
    checked: Checked,
    *,
    actor: User,
    mode: str,
    stages: dict[tuple[int, str], Stage],
) -> Step | None:
    data, line = row.data, row.line
    if mode == ImportMode.UPDATE:
        checked.add_error(
            line, "deal_name", f"“{account}” has no deal named “{data['deal_name']}”."
        )
        return None
    if not prospect_access.can_edit_account(actor, account):
        checked.add_error(line, "account_name", f"“{account}” is read-only for you.")
        return None
    pipeline = data["pipeline"] or deal_selectors.default_pipeline_for(account)
    if pipeline is None:
        checked.add_error(line, "pipeline", "No pipeline is set up yet; ask sales ops.")
        return None
    stage = None
    if data["stage"]:
        stage = stages.get((pipeline.pk, str(data["stage"]).lower()))
        if stage is None:
            checked.add_error(line, "stage", f"{pipeline} has no stage “{data['stage']}”.")
            return None
        if stage.is_closed:
            checked.add_error(
                line,
                "stage",
                "A new deal starts in an open stage; close it on its page, where the reason is "
                "asked.",
            )
            return None
    values = {
        "pipeline": pipeline,
        "stage": stage,
        "name": data["deal_name"],
        "owner": data["owner"] or actor,
        "value": data["value"] if data["value"] is not None else Decimal(0),
        "currency": data["currency"] or Currency.EUR,
        "expected_close_date": data["expected_close"],
        "created": data["created"],
    }
    return Step(line=line, action="create", account=account, values=values)


def _existing(
    row: ParsedRow,
    account: Account,
    deal: Opportunity,
    checked: Checked,
    *,
    actor: User,
    mode: str,
    mapped: set[str],
    stages: dict[tuple[int, str], Stage],
) -> Step | None:
    data, line = row.data, row.line
    if mode == ImportMode.CREATE:
        return Step(line=line, action="unchanged", account=account, deal=deal)
    changes: dict[str, object] = {}
    for column, attribute in UPDATED.items():
        value = data[column]
        if column not in mapped or (value is None and column in {"owner", "currency", "value"}):
            continue  # blank: as it is (a deal always has an owner, a currency and a value)
        if getattr(deal, attribute) != value:
            changes[attribute] = value
    move_to = None
    if "pipeline" in mapped and data["pipeline"] and data["pipeline"].pk != deal.pipeline_id:
        checked.add_error(line, "pipeline", "A deal cannot change pipeline by import.")
        return None
    if "stage" in mapped and data["stage"]:
        stage = stages.get((deal.pipeline_id, str(data["stage"]).lower()))
        if stage is None:
            checked.add_error(line, "stage", f"The deal's pipeline has no stage “{data['stage']}”.")
            return None
        if stage.pk != deal.stage_id:
            if stage.is_closed:
                checked.add_error(
                    line,
                    "stage",
                    f"Closing a deal asks for a reason: move it to {stage.name} on its page.",
                )
                return None
            move_to = stage
    if not changes and move_to is None:
        return Step(line=line, action="unchanged", account=account, deal=deal)
    if not deal_access.can_edit_opportunity(actor, deal):
        checked.add_error(line, "deal_name", f"“{deal.name}” is read-only for you.")
        return None
    return Step(
        line=line, action="update", account=account, deal=deal, changes=changes, move_to=move_to
    )


def write(
    *, actor: User, checked: Checked, on_batch: Callable[[int], None] | None = None
) -> kinds.Counts:
    """Each deal through the services a person's edits go through: the same checks, stage
    history, audit rows and webhooks."""
    plan: list[Step] = checked.plan  # type: ignore[assignment]
    errors: list[dict[str, object]] = []
    created = updated = 0
    backdated: list[tuple[int, dt.date]] = []
    for done, step in enumerate(plan, start=1):
        try:
            if step.action == "create":
                values = dict(step.values)
                created_on = values.pop("created")
                deal = services.opportunity_create(actor=actor, account=step.account, **values)  # type: ignore[arg-type]
                if created_on:
                    backdated.append((deal.pk, created_on))  # type: ignore[arg-type]
                created += 1
            elif step.action == "update":
                assert step.deal is not None
                if step.changes:
                    services.opportunity_update(actor=actor, opportunity=step.deal, **step.changes)
                if step.move_to is not None:
                    services.opportunity_move_stage(
                        actor=actor,
                        opportunity=step.deal,
                        to_stage=step.move_to,
                        note="Moved by import",
                    )
                updated += 1
        except ValidationError as error:
            errors.extend({"row": step.line, "column": "", "message": m} for m in error.messages)
        if on_batch and done % PROGRESS_EVERY == 0:
            on_batch(done)
    if errors:
        raise RowErrors(errors)
    for pk, day in backdated:
        # The deal opened on the file's date: its age, and its first stage's, count from it.
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
        Opportunity.objects.filter(pk=pk).update(created_at=moment)
        StageChange.objects.filter(opportunity_id=pk, from_stage=None).update(at=moment)
    if backdated:
        flow.refresh(Opportunity, StageChange, ids=[pk for pk, _ in backdated])
    return {
        "deals": {
            "created": created,
            "updated": updated,
            "unchanged": sum(step.action == "unchanged" for step in plan),
        }
    }


def register() -> None:
    kinds.register(
        kinds.ImportKind(
            key="deals",
            label="Deals",
            fields=FIELDS,
            check=check,
            write=write,
            matching=(
                "Deals are matched by their account (by name, case, punctuation and Ltd, Inc… "
                "aside) and their name at that account; an import never creates accounts. A new "
                "deal may start in any open stage; an existing deal moves to another open stage "
                "as a move made on the board would, and is closed (won or lost) only on its page."
            ),
            exports=(("Export deals", "pipeline:deal_export"),),
        )
    )

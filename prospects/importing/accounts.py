"""The import of accounts and their contacts: one row per contact; rows naming the same account
make one account, whose fields come from its first row. A row without a contact name is an
account alone.

An account is matched by its name with case, punctuation and company suffixes set aside
("Kestrel Components Ltd" is "kestrel components"), or else by its website's domain: the
expressions the duplicate warnings use, served by the same indexes (prospects.normalise).
A contact is matched at its account by email (case aside), or by name when the row has no
email. Only columns mapped to a field are compared or written; a blank owner, status or
buying role means "as it is" on an update and the default on a creation.

The check decides everything (create, update with which changes, leave alone) and reports
every problem before a single row is written; the write then carries the plan out, updates
through the same services as the edit forms (so their rules, audit rows and "*.updated"
webhooks are the same), and a record whose values are already those of the file is not
touched at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from prospects import access
from prospects.importing import kinds
from prospects.importing.csvfile import PROGRESS_EVERY, Checked, ParsedRow, RowErrors, choice
from prospects.models import Account, AccountEvent, Contact, ImportMode, LeadSource, Segment
from prospects.normalise import (
    normalise_name,
    normalised_name_sql,
    website_domain,
    website_domain_sql,
)
from salesflow.core.models import User
from salesflow.core.webhooks.events import webhook_events_bulk

FIELDS = (
    kinds.Field(
        "account_name",
        "Account name",
        required=True,
        aliases=("name", "account", "company", "company_name", "organisation", "organization"),
    ),
    kinds.Field("website", "Website", aliases=("url", "web", "domain", "site")),
    kinds.Field("segment", "Segment"),
    kinds.Field("lead_source", "Lead source", aliases=("source",)),
    kinds.Field("owner", "Account owner", aliases=("account_owner",)),
    kinds.Field("status", "Account status", aliases=("account_status",)),
    kinds.Field("disqualified_reason", "Why disqualified", aliases=("disqualified_because",)),
    kinds.Field("contact_name", "Contact name", aliases=("contact", "full_name", "person")),
    kinds.Field("contact_title", "Contact's job title", aliases=("title", "job_title")),
    kinds.Field("contact_email", "Contact's email", aliases=("email", "e_mail", "email_address")),
    kinds.Field("contact_phone", "Contact's phone", aliases=("phone", "telephone", "mobile")),
    kinds.Field("contact_role", "Contact's buying role", aliases=("role", "buying_role")),
)
COLUMNS = [f.name for f in FIELDS]
ACCOUNT_COLUMNS = {
    "account_name": "name",
    "website": "website",
    "segment": "segment_id",
    "lead_source": "lead_source_id",
    "owner": "owner",
    "status": "status",
    "disqualified_reason": "disqualified_reason",
}
CONTACT_COLUMNS = {
    "contact_name": "name",
    "contact_title": "title",
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_role": "buying_role",
}
# Blank in these columns means "as it is" on an update (an account always has an owner and a
# status, a contact a role); on a creation, the default.
KEEP_WHEN_BLANK = {"owner", "status", "contact_role"}
BATCH = 1000


class RowForm(forms.Form):
    account_name = forms.CharField(max_length=200)
    website = forms.URLField(max_length=300, required=False, assume_scheme="https")
    segment = forms.CharField(max_length=80, required=False)
    lead_source = forms.CharField(max_length=80, required=False)
    owner = forms.CharField(max_length=254, required=False)
    status = forms.CharField(max_length=20, required=False)
    disqualified_reason = forms.CharField(max_length=2000, required=False)
    contact_name = forms.CharField(max_length=200, required=False)
    contact_title = forms.CharField(max_length=200, required=False)
    contact_email = forms.EmailField(max_length=254, required=False)
    contact_phone = forms.CharField(max_length=40, required=False)
    contact_role = forms.CharField(max_length=20, required=False)


@dataclass
class Step:
    """What the write does with one account or contact of the file."""

    line: int
    action: str  # "create", "update" or "unchanged"
    values: dict[str, object]  # model field -> value, for a creation
    record: Account | Contact | None = None
    changes: dict[str, object] = field(default_factory=dict)
    account_key: str = ""  # a contact's: the account it belongs to in the file


@dataclass
class Plan:
    accounts: dict[str, Step] = field(default_factory=dict)
    contacts: list[Step] = field(default_factory=list)


def account_key(name: str) -> str:
    """Rows whose account names normalise alike are one account."""
    return normalise_name(name) or name.strip().lower()


def people_by_name(actor: User) -> tuple[dict[str, User], set[int]]:
    """Active people by username and by email (case aside), and the ids of those the actor
    may give records to. An owner the actor may not assign is still read, because a row
    that leaves a teammate's record with its owner (an export imported again) is no change."""
    people: dict[str, User] = {}
    for user in User.objects.filter(is_active=True):
        people[user.username.lower()] = user
        if user.email:
            people.setdefault(user.email.lower(), user)
    assignable = set(access.assignable_owners(actor).values_list("pk", flat=True))
    return people, assignable


def check(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    actor: User,
    mode: str,
    mapped: set[str],
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """Validate every row and decide what each does; collect (row, column, message) errors
    rather than stopping, so one upload reports every problem at once."""
    segments = {name.lower(): pk for pk, name in Segment.objects.values_list("pk", "name")}
    sources = {name.lower(): pk for pk, name in LeadSource.objects.values_list("pk", "name")}
    owners, assignable = people_by_name(actor)
    checked = Checked()
    # (line, account key, owner) of rows naming an owner the actor may not assign: fine only
    # if that is already the matching account's owner, which is asked once for them all.
    foreign: list[tuple[int, str, User]] = []
    for count, (line, values) in enumerate(rows, start=1):
        form = RowForm(values)
        before = checked.error_count
        if not form.is_valid():
            for column, messages in form.errors.items():
                for message in messages:
                    checked.add_error(line, column, message)
        data = {column: form.cleaned_data.get(column, values.get(column, "")) for column in COLUMNS}
        _resolve(data, line, checked, segments=segments, sources=sources, owners=owners)
        # Said on the row itself unless an update may find the reason on the account.
        if (
            data["status"] == Account.Status.DISQUALIFIED
            and not data["disqualified_reason"]
            and ("disqualified_reason" in mapped or mode != ImportMode.UPDATE)
        ):
            checked.add_error(line, "disqualified_reason", "Say why the account is disqualified.")
        owner = data["owner"]
        if isinstance(owner, User) and owner.pk not in assignable:
            foreign.append((line, account_key(str(data["account_name"])), owner))
        if checked.error_count == before:
            checked.rows.append(ParsedRow(line=line, data=data))
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    if foreign:
        _check_foreign_owners(actor, foreign, checked)
    # Planned even when some rows failed, so the report names every problem at once (the
    # matches, the read-only records) and not only the first kind found.
    checked.plan = _plan(checked, actor=actor, mode=mode, mapped=mapped)
    return checked


def _check_foreign_owners(
    actor: User, foreign: list[tuple[int, str, User]], checked: Checked
) -> None:
    keys = sorted({key for _, key, _ in foreign})
    owned = set(
        access.accounts_visible_to(actor)
        .annotate(normalised=normalised_name_sql())
        .filter(normalised__in=keys)
        .values_list("normalised", "owner_id")
    )
    refused = set()
    for line, key, owner in foreign:
        if (key, owner.pk) not in owned:
            message = f"“{owner.username}” is not someone you can give accounts to."
            checked.add_error(line, "owner", message)
            refused.add(line)
    checked.rows = [row for row in checked.rows if row.line not in refused]


def _resolve(
    data: dict[str, object],
    line: int,
    checked: Checked,
    *,
    segments: dict[str, int],
    sources: dict[str, int],
    owners: dict[str, User],
) -> None:
    for column, known in (("segment", segments), ("lead_source", sources)):
        name = str(data[column])
        data[column] = None
        if name:
            if name.lower() not in known:
                checked.add_error(line, column, f"“{name}” is not one of sales ops' list.")
            else:
                data[column] = known[name.lower()]
    owner = str(data["owner"])
    data["owner"] = None
    if owner:
        if owner.lower() not in owners:
            checked.add_error(line, "owner", f"“{owner}” is not someone you can give accounts to.")
        data["owner"] = owners.get(owner.lower())
    status = None
    if data["status"]:
        status = choice(str(data["status"]), Account.Status)
        if status is None:
            checked.add_error(line, "status", "Use prospect, customer or disqualified.")
    data["status"] = status
    role = None
    if data["contact_role"]:
        role = choice(str(data["contact_role"]), Contact.BuyingRole)
        if role is None:
            checked.add_error(
                line,
                "contact_role",
                "Use champion, decision maker, influencer, user, blocker or unknown.",
            )
    data["contact_role"] = role
    if not data["contact_name"] and any(
        data[c] for c in ("contact_title", "contact_email", "contact_phone")
    ):
        checked.add_error(line, "contact_name", "A contact needs a name.")


def accounts_named(actor: User, keys: set[str]) -> dict[str, list[Account]]:
    """The accounts the actor may see under each account key, read in batches off the
    normalised-name index; a name with no letter or digit a-z/0-9 ("東京") normalises to
    nothing, so those few are compared whole, case aside."""
    visible = access.accounts_visible_to(actor).select_related("owner")
    found: dict[str, list[Account]] = defaultdict(list)
    normal = sorted(key for key in keys if normalise_name(key))
    for start in range(0, len(normal), BATCH):
        batch = normal[start : start + BATCH]
        for account in visible.alias(normalised=normalised_name_sql()).filter(normalised__in=batch):
            found[account_key(account.name)].append(account)
    whole = Q()
    for key in keys:
        if not normalise_name(key):
            whole |= Q(name__iexact=key)
    if whole:
        for account in visible.filter(whole):
            found[account_key(account.name)].append(account)
    return found


def _matches(actor: User, firsts: dict[str, ParsedRow]) -> dict[str, list[Account]]:
    """The accounts the actor may see that each of the file's accounts names: by normalised
    name, or else by website domain (two indexed lookups, whatever the file's size)."""
    visible = access.accounts_visible_to(actor).select_related("owner")
    found = accounts_named(actor, set(firsts))
    by_domain: dict[str, list[str]] = defaultdict(list)
    for key, row in firsts.items():
        domain = website_domain(str(row.data["website"] or ""))
        if key not in found and domain:
            by_domain[domain].append(key)
    domains = list(by_domain)
    for start in range(0, len(domains), BATCH):
        batch = domains[start : start + BATCH]
        for account in visible.alias(domain=website_domain_sql()).filter(domain__in=batch):
            for key in by_domain[website_domain(account.website)]:
                found[key].append(account)
    return found


def _plan(checked: Checked, *, actor: User, mode: str, mapped: set[str]) -> Plan:
    plan = Plan()
    firsts: dict[str, ParsedRow] = {}
    for row in checked.rows:
        firsts.setdefault(account_key(str(row.data["account_name"])), row)
    found = _matches(actor, firsts)
    for key, row in firsts.items():
        step = _account_step(
            row, found.get(key, []), checked, actor=actor, mode=mode, mapped=mapped
        )
        if step is not None:
            plan.accounts[key] = step
    matched = [step.record for step in plan.accounts.values() if step.record is not None]
    contacts = _existing_contacts(matched)
    for row in checked.rows:
        if not row.data["contact_name"]:
            continue
        key = account_key(str(row.data["account_name"]))
        if key not in plan.accounts:
            continue  # its account has an error already
        step = _contact_step(
            row, plan.accounts[key], contacts, checked, actor=actor, mode=mode, mapped=mapped
        )
        if step is not None:
            step.account_key = key
            plan.contacts.append(step)
    return plan


def _account_step(
    row: ParsedRow,
    candidates: list[Account],
    checked: Checked,
    *,
    actor: User,
    mode: str,
    mapped: set[str],
) -> Step | None:
    data, line = row.data, row.line
    if len(candidates) > 1:
        names = ", ".join(sorted(f"“{a.name}”" for a in candidates)[:3])
        checked.add_error(
            line, "account_name", f"More than one account matches: {names}; rename one first."
        )
        return None
    if not candidates:
        if mode == ImportMode.UPDATE:
            checked.add_error(
                line, "account_name", f"No account you can see matches “{data['account_name']}”."
            )
            return None
        values = {
            "name": data["account_name"],
            "website": data["website"] or "",
            "segment_id": data["segment"],
            "lead_source_id": data["lead_source"],
            "owner": data["owner"] or actor,
            "status": data["status"] or Account.Status.PROSPECT,
            "disqualified_reason": data["disqualified_reason"] or "",
        }
        if values["status"] != Account.Status.DISQUALIFIED:
            values["disqualified_reason"] = ""
        elif not values["disqualified_reason"]:
            checked.add_error(line, "disqualified_reason", "Say why the account is disqualified.")
            return None
        return Step(line=line, action="create", values=values)
    account = candidates[0]
    if mode == ImportMode.CREATE:
        return Step(line=line, action="unchanged", values={}, record=account)
    changes: dict[str, object] = {}
    for column, attribute in ACCOUNT_COLUMNS.items():
        if column not in mapped or column == "account_name":
            # The name found the account; a file spelling it "Kestrel Components Ltd" does
            # not rename "Kestrel Components".
            continue
        value = data[column]
        if column in KEEP_WHEN_BLANK and value is None:
            continue
        if column in {"website", "disqualified_reason"}:
            value = value or ""
        if getattr(account, attribute) != value:
            changes[attribute.removesuffix("_id")] = value
    status = changes.get("status", account.status)
    reason = changes.get("disqualified_reason", account.disqualified_reason)
    if status == Account.Status.DISQUALIFIED and not reason:
        checked.add_error(line, "disqualified_reason", "Say why the account is disqualified.")
        return None
    if status != Account.Status.DISQUALIFIED and "disqualified_reason" in changes:
        # A reason only means something on a disqualified account; the service clears it.
        del changes["disqualified_reason"]
    if not changes:
        return Step(line=line, action="unchanged", values={}, record=account)
    if not access.can_edit_account(actor, account):
        checked.add_error(
            line,
            "account_name",
            f"“{account.name}” is {account.owner}'s and read-only for you; "
            f"the file would change its {', '.join(sorted(changes))}.",
        )
        return None
    return Step(line=line, action="update", values={}, record=account, changes=changes)


def _existing_contacts(accounts: list[Account]) -> dict[tuple[int, str, str], list[Contact]]:
    """The matched accounts' contacts, by (account, "email"|"name", normalised value)."""
    index: dict[tuple[int, str, str], list[Contact]] = defaultdict(list)
    ids = [account.pk for account in accounts]
    for start in range(0, len(ids), BATCH):
        contacts = Contact.objects.filter(
            account_id__in=ids[start : start + BATCH], erased_at__isnull=True
        ).annotate(email_lower=Lower("email"))
        for contact in contacts:
            if contact.email:
                index[(contact.account_id, "email", contact.email_lower)].append(contact)
            index[(contact.account_id, "name", normalise_name(contact.name))].append(contact)
    return index


def _contact_step(
    row: ParsedRow,
    account_step: Step,
    contacts: dict[tuple[int, str, str], list[Contact]],
    checked: Checked,
    *,
    actor: User,
    mode: str,
    mapped: set[str],
) -> Step | None:
    data, line = row.data, row.line
    values = {attribute: data[column] or "" for column, attribute in CONTACT_COLUMNS.items()}
    values["buying_role"] = data["contact_role"] or Contact.BuyingRole.UNKNOWN
    account = account_step.record
    candidates: list[Contact] = []
    if account is not None:
        email = str(data["contact_email"] or "").lower()
        how = ("email", email) if email else ("name", normalise_name(str(data["contact_name"])))
        candidates = contacts.get((account.pk, *how), [])
    if len(candidates) > 1:
        checked.add_error(
            line, "contact_name", f"More than one contact at “{account}” matches this row."
        )
        return None
    if not candidates:
        if mode == ImportMode.UPDATE:
            checked.add_error(line, "contact_name", f"No contact at “{account}” matches this row.")
            return None
        return Step(line=line, action="create", values=values)
    contact = candidates[0]
    if mode == ImportMode.CREATE:
        return Step(line=line, action="unchanged", values={}, record=contact)
    changes = {}
    for column, attribute in CONTACT_COLUMNS.items():
        if column not in mapped:
            continue
        value = data[column]
        if column in KEEP_WHEN_BLANK and value is None:
            continue
        value = value or ""
        if getattr(contact, attribute) != value:
            changes[attribute] = value
    if not changes:
        return Step(line=line, action="unchanged", values={}, record=contact)
    if not access.can_edit_account(actor, account):  # type: ignore[arg-type]
        checked.add_error(line, "contact_name", f"“{account}” is read-only for you.")
        return None
    return Step(line=line, action="update", values={}, record=contact, changes=changes)


def write(
    *, actor: User, checked: Checked, on_batch: Callable[[int], None] | None = None
) -> kinds.Counts:
    """Carry out the check's plan: bulk-create the new accounts, their contacts and timeline
    entries; update the changed ones through the edit forms' services; touch nothing else."""
    from prospects import services  # the services module imports nothing of the import

    plan: Plan = checked.plan  # type: ignore[assignment]
    now = timezone.now()
    errors: list[dict[str, object]] = []
    created: dict[str, Account] = {}
    new = [(key, step) for key, step in plan.accounts.items() if step.action == "create"]
    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        accounts = Account.objects.bulk_create([Account(**step.values) for _, step in batch])
        for (key, _), account in zip(batch, accounts, strict=True):
            created[key] = account
        if on_batch:
            on_batch(start + len(batch))
    AccountEvent.objects.bulk_create(
        (
            AccountEvent(
                account=account,
                kind=AccountEvent.Kind.CREATED,
                occurred_at=now,
                actor=actor,
                summary="Imported from CSV",
            )
            for account in created.values()
        ),
        batch_size=BATCH,
    )
    updated_accounts = 0
    for step in plan.accounts.values():
        if step.action != "update":
            continue
        try:
            services.account_update(actor=actor, account=step.record, **step.changes)  # type: ignore[arg-type]
        except ValidationError as error:
            errors.extend(_row_errors(step.line, "account_name", error))
        else:
            updated_accounts += 1
    new_contacts = []
    for step in plan.contacts:
        if step.action == "create":
            account = created.get(step.account_key) or plan.accounts[step.account_key].record
            new_contacts.append(Contact(account=account, **step.values))
    Contact.objects.bulk_create(new_contacts, batch_size=BATCH)
    updated_contacts = 0
    for step in plan.contacts:
        if step.action != "update":
            continue
        contact: Contact = step.record  # type: ignore[assignment]
        for attribute, value in step.changes.items():
            setattr(contact, attribute, value)
        try:
            services.contact_save(actor=actor, contact=contact)
        except ValidationError as error:
            errors.extend(_row_errors(step.line, "contact_name", error))
        else:
            updated_contacts += 1
    if errors:
        raise RowErrors(errors)
    # Told like accounts and contacts added one by one; a query each when nobody listens.
    webhook_events_bulk("account.created", Account, [a.pk for a in created.values()])
    webhook_events_bulk("contact.created", Contact, [contact.pk for contact in new_contacts])
    return {
        "accounts": {
            "created": len(created),
            "updated": updated_accounts,
            "unchanged": sum(s.action == "unchanged" for s in plan.accounts.values()),
        },
        "contacts": {
            "created": len(new_contacts),
            "updated": updated_contacts,
            "unchanged": sum(s.action == "unchanged" for s in plan.contacts),
        },
    }


def _row_errors(line: int, column: str, error: ValidationError) -> list[dict[str, object]]:
    return [{"row": line, "column": column, "message": message} for message in error.messages]


kinds.register(
    kinds.ImportKind(
        key="accounts",
        label="Accounts and contacts",
        fields=FIELDS,
        check=check,
        write=write,
        matching=(
            "Accounts are matched by name (case, punctuation and Ltd, Inc, GmbH… aside) or "
            "else by website domain; contacts at their account by email, or by name when the "
            "row has no email."
        ),
        exports=(
            ("Export accounts", "prospects:account_export"),
            ("Export contacts", "prospects:contact_list_export"),
        ),
    )
)

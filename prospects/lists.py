"""prospects' lists on salesflow.core.lists: the contacts (/contacts/) and the accounts
(/accounts/) — their filters, their columns (each sorting in SQL) and the rows a user may
see. pipeline adds the accounts' deal columns (last activity, next follow-up, open and won
value, open deals) from its AppConfig.ready(): prospects never asks pipeline.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Case, CharField, ExpressionWrapper, IntegerField, QuerySet, Value, When
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from prospects import selectors
from prospects.access import accounts_visible_to
from prospects.forms import AccountFilterForm
from prospects.models import READINESS_QUESTIONS, Account, Answer, Contact, Segment
from prospects.search.fulltext import matching, terms
from salesflow.core.fields import DateInput, IdChoiceField
from salesflow.core.lists.cells import (
    OWNER_NAME,
    FilterForm,
    day,
    iso,
    link,
    style_filters,
    valid_filters,
)
from salesflow.core.lists.spec import Column, ListSpec, register_list
from salesflow.core.models import User

# --- Contacts ----------------------------------------------------------------------------

HAS_EMAIL = [("", "Any"), ("yes", "Has an email"), ("no", "No email")]


class ContactListFilterForm(FilterForm):
    q = forms.CharField(required=False, max_length=100, label="Name or email")
    owner = IdChoiceField(queryset=User.objects.none(), required=False, label="Account owner")
    segment = IdChoiceField(queryset=Segment.objects.all(), required=False)
    buying_role = forms.ChoiceField(
        choices=[("", "Any"), *Contact.BuyingRole.choices], required=False
    )
    has_email = forms.ChoiceField(choices=HAS_EMAIL, required=False, label="Email")
    spoke_from = forms.DateField(required=False, widget=DateInput(), label="Last conversation from")
    spoke_to = forms.DateField(required=False, widget=DateInput(), label="Last conversation to")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.visible_owners(user)
        style_filters(self)


def _day_start(when: date) -> datetime:
    """Midnight at the start of the day, in the user's time zone."""
    return timezone.make_aware(datetime.combine(when, time.min))


def contact_list_base(*, user: User, form: forms.Form) -> QuerySet[Contact]:
    """The contacts of the accounts the user may see (an erased one as its placeholder)
    that pass the form's valid filters."""
    data = valid_filters(form)
    contacts = Contact.objects.filter(account__in=accounts_visible_to(user))
    if data.get("owner"):
        contacts = contacts.filter(account__owner=data["owner"])
    if data.get("segment"):
        contacts = contacts.filter(account__segment=data["segment"])
    if data.get("buying_role"):
        contacts = contacts.filter(buying_role=data["buying_role"])
    if data.get("has_email") == "yes":
        contacts = contacts.exclude(email="")
    elif data.get("has_email") == "no":
        contacts = contacts.filter(email="")
    if data.get("spoke_from"):
        contacts = contacts.filter(last_conversation_at__gte=_day_start(data["spoke_from"]))
    if data.get("spoke_to"):
        end = _day_start(data["spoke_to"] + timedelta(days=1))
        contacts = contacts.filter(last_conversation_at__lt=end)
    text = (data.get("q") or "").strip()
    if "@" in text or "." in text:
        # An address or a domain: the full-text parser keeps an email whole, so a part of
        # one ("alder.example") is looked for in the email itself.
        contacts = contacts.filter(email__icontains=text)
    elif words := terms(text):
        # The full-text index over name, email and title (prospects.search), word prefixes.
        contacts = matching(contacts, "contact", words)
    return contacts


def contact_list_rows(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    return contacts.select_related("account", "account__owner")


def _email_html(contact: Contact) -> str:
    if not contact.email:
        return "—"
    return format_html('<a href="mailto:{}">{}</a>', contact.email, contact.email)


CONTACT_COLUMNS = [
    Column(
        "name",
        "Contact",
        value=lambda c: c.name,
        sort="name",
        nullable=False,
        always=True,
        html=lambda c: link(reverse("prospects:contact_detail", args=[c.pk]), c.name),
    ),
    Column(
        "account",
        "Account",
        value=lambda c: c.account.name,
        sort="account__name",
        nullable=False,
        html=lambda c: link(
            reverse("prospects:account_detail", args=[c.account_id]), c.account.name
        ),
    ),
    Column("title", "Title", value=lambda c: c.title, sort="title", nullable=False),
    Column(
        "buying_role",
        "Buying role",
        value=lambda c: c.get_buying_role_display(),
        sort="buying_role",
        nullable=False,
    ),
    Column(
        "email", "Email", value=lambda c: c.email, sort="email", nullable=False, html=_email_html
    ),
    Column("phone", "Phone", value=lambda c: c.phone, css="text-nowrap"),
    Column(
        "last_conversation",
        "Last conversation",
        value=lambda c: iso(c.last_conversation_at),
        sort="last_conversation_at",
        html=lambda c: day(c.last_conversation_at),
        css="text-nowrap",
    ),
    Column(
        "owner",
        "Account owner",
        value=lambda c: c.account.owner.display_name,
        sort=Concat(
            "account__owner__first_name",
            Value(" "),
            "account__owner__last_name",
            Value(" "),
            "account__owner__username",
            output_field=CharField(),
        ),
        nullable=False,
        default=False,
    ),
]


CONTACTS = register_list(
    ListSpec(
        key="contacts",
        title="Contacts",
        model=Contact,
        url_name="prospects:contact_list",
        csv_url_name="prospects:contact_list_csv",
        columns=CONTACT_COLUMNS,
        default_sort="name",
        filter_form=ContactListFilterForm,
        base=contact_list_base,
        rows=contact_list_rows,
    )
)


# --- Accounts ----------------------------------------------------------------------------


class AccountListFilterForm(AccountFilterForm):
    """The account filters, styled for the list's filter bar."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        style_filters(self)


def account_list_base(*, user: User, form: forms.Form) -> QuerySet[Account]:
    """The accounts the user may see that pass the form's valid filters."""
    assert isinstance(form, AccountFilterForm)
    return selectors.account_list(user=user, filters=form.filters()).order_by()


def account_list_rows(accounts: QuerySet[Account]) -> QuerySet[Account]:
    return accounts.select_related("owner", "segment", "lead_source")


def _with_readiness(accounts: QuerySet[Account]) -> QuerySet[Account]:
    if "readiness" in accounts.query.annotations:
        return accounts
    yes = [
        Case(When(**{name: Answer.YES}, then=Value(1)), default=Value(0))
        for name, _ in READINESS_QUESTIONS
    ]
    total = yes[0]
    for term in yes[1:]:
        total = total + term
    return accounts.annotate(readiness=ExpressionWrapper(total, output_field=IntegerField()))


# The badge of templates/prospects/status_badge.html and the dots of readiness_dots.html,
# built in Python: a template rendered per row and cell cost more than the rest of the page.
STATUS_BADGE = {
    Account.Status.CUSTOMER: "text-bg-success",
    Account.Status.DISQUALIFIED: "text-bg-secondary",
}


def _status_html(account: Account) -> str:
    css = STATUS_BADGE.get(account.status, "text-bg-info")
    return format_html('<span class="badge {}">{}</span>', css, account.get_status_display())


def _readiness_html(account: Account) -> str:
    dots = format_html_join(
        "",
        '<span class="dot dot-{}" title="{}: {}"></span>',
        (
            (getattr(account, name), label, getattr(account, f"get_{name}_display")())
            for name, label in READINESS_QUESTIONS
        ),
    )
    return format_html(
        '<span class="readiness" aria-label="Readiness: {}">{}</span>',
        _readiness_text(account),
        dots,
    )


def _readiness_text(account: Account) -> str:
    return ", ".join(
        f"{label}: {getattr(account, f'get_{name}_display')()}"
        for name, label in READINESS_QUESTIONS
    )


ACCOUNT_COLUMNS = [
    Column(
        "name",
        "Account",
        value=lambda a: a.name,
        sort="name",
        nullable=False,
        always=True,
        html=lambda a: link(reverse("prospects:account_detail", args=[a.pk]), a.name),
    ),
    Column(
        "segment",
        "Segment",
        value=lambda a: a.segment.name if a.segment else "",
        sort="segment__name",
    ),
    Column("owner", "Owner", value=lambda a: a.owner.display_name, sort=OWNER_NAME, nullable=False),
    Column(
        "status",
        "Status",
        value=lambda a: a.get_status_display(),
        sort="status",
        nullable=False,
        html=_status_html,
    ),
    Column(
        "readiness",
        "Readiness",
        value=_readiness_text,
        sort="readiness",
        nullable=False,
        prepare=_with_readiness,
        html=_readiness_html,
    ),
    Column(
        "lead_source",
        "Lead source",
        value=lambda a: a.lead_source.name if a.lead_source else "",
        sort="lead_source__name",
        default=False,
    ),
    Column(
        "created",
        "Added",
        value=lambda a: iso(a.created_at),
        sort="created_at",
        nullable=False,
        default=False,
        html=lambda a: day(a.created_at),
    ),
]


ACCOUNTS = register_list(
    ListSpec(
        key="accounts",
        title="Accounts",
        model=Account,
        url_name="prospects:account_list",
        csv_url_name="prospects:account_list_csv",
        columns=ACCOUNT_COLUMNS,
        default_sort="name",
        filter_form=AccountListFilterForm,
        base=account_list_base,
        rows=account_list_rows,
    )
)

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django import forms

from prospects.merge import selectors
from prospects.merge.services import CONTACT_FIELDS
from prospects.models import Account, Contact
from prospects.services import ACCOUNT_FIELDS


class AccountMergeForm(forms.Form):
    """For each field where the two accounts differ, which value the merged account keeps;
    for each pair of contacts that look like the same person, whether to make them one, and
    which of their values the one keeps."""

    def __init__(
        self,
        *args: object,
        survivor: Account,
        duplicate: Account,
        pairs: Sequence[selectors.ContactPair] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.survivor, self.duplicate = survivor, duplicate
        self.differences: list[str] = []
        for name in ACCOUNT_FIELDS:
            ours, theirs = getattr(survivor, name), getattr(duplicate, name)
            if ours == theirs:
                continue
            self.differences.append(name)
            self.fields[name] = forms.ChoiceField(
                label=Account._meta.get_field(name).verbose_name.capitalize(),
                choices=[
                    ("survivor", _shown(survivor, name)),
                    ("duplicate", _shown(duplicate, name)),
                ],
                initial="survivor",
                widget=forms.RadioSelect,
            )
        self.pairs = [_PairFields(self, pair) for pair in pairs]

    def account_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.differences]

    def values(self) -> dict[str, object]:
        """The chosen values, ready for services.account_merge."""
        return {
            name: getattr(
                self.duplicate if self.cleaned_data[name] == "duplicate" else self.survivor, name
            )
            for name in self.differences
        }

    def contact_values(self) -> dict[int, dict[str, object]]:
        """The contacts to merge, by the duplicate's contact's id, each with the values the
        merged contact keeps: ready for services.account_merge."""
        return {
            pair.drop.pk: pair.chosen(self.cleaned_data)
            for pair in self.pairs
            if self.cleaned_data[pair.action] == "merge"
        }


class _PairFields:
    """The fields of one contact pair in the merge form, and what the page shows of it."""

    def __init__(self, form: AccountMergeForm, pair: selectors.ContactPair) -> None:
        self.keep, self.drop, self.reason = pair.keep, pair.drop, pair.reason
        prefix = f"contact-{pair.drop.pk}"
        self.action = prefix
        form.fields[prefix] = forms.ChoiceField(
            label="The same person?",
            choices=[("merge", "Yes: make them one contact"), ("keep", "No: keep both")],
            initial="merge",
            widget=forms.RadioSelect,
        )
        self.differences: list[tuple[str, str]] = []
        for name in CONTACT_FIELDS:
            ours, theirs = getattr(pair.keep, name), getattr(pair.drop, name)
            if ours == theirs:
                continue
            field = f"{prefix}-{name}"
            self.differences.append((name, field))
            # Where only one of them knows the value, keep the one that does.
            unknown = ("", Contact.BuyingRole.UNKNOWN)
            form.fields[field] = forms.ChoiceField(
                label=Contact._meta.get_field(name).verbose_name.capitalize(),
                choices=[
                    ("survivor", _shown(pair.keep, name)),
                    ("duplicate", _shown(pair.drop, name)),
                ],
                initial="duplicate" if ours in unknown and theirs not in unknown else "survivor",
                widget=forms.RadioSelect,
                # Not needed to keep both; unanswered, the choice offered first stands.
                required=False,
            )
        self.form = form

    def chosen(self, data: dict[str, object]) -> dict[str, object]:
        return {
            name: getattr(self.drop if self._side(data, field) == "duplicate" else self.keep, name)
            for name, field in self.differences
        }

    def _side(self, data: dict[str, object], field: str) -> object:
        return data.get(field) or self.form.fields[field].initial

    def __iter__(self) -> Iterator[forms.BoundField]:
        yield from (self.form[field] for _, field in self.differences)

    @property
    def choice(self) -> forms.BoundField:
        return self.form[self.action]


def _shown(instance: Account | Contact, name: str) -> str:
    display = getattr(instance, f"get_{name}_display", None)
    value = display() if display else getattr(instance, name)
    return str(value) if value not in (None, "") else "(empty)"

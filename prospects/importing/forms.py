from __future__ import annotations

from django import forms
from django.conf import settings

from prospects.importing import csvfile, kinds
from prospects.importing.accounts import COLUMNS
from prospects.models import ImportMode

IGNORE = ""


class AccountImportForm(forms.Form):
    # Not required: a client posting only the file (as before deals could be imported) means
    # accounts.
    kind = forms.ChoiceField(label="What the file holds", initial="accounts", required=False)
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with a first line naming the columns; you say what each one holds "
        "on the next page. An export's columns are recognised by themselves. Accounts and "
        "contacts: one row per contact, e.g. " + ", ".join(COLUMNS) + ".",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = kinds.choices()

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or "accounts"

    def clean_file(self) -> tuple[str, str]:
        """The file's name and text, or a message saying why it cannot be read."""
        upload = self.cleaned_data["file"]
        if upload.size > settings.SALESFLOW_IMPORT_MAX_BYTES:
            megabytes = settings.SALESFLOW_IMPORT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"The file is larger than {megabytes} MB; split it.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("Save the file as UTF-8 CSV and upload it again.") from None
        if "\x00" in text:
            raise forms.ValidationError("This looks like a binary file, not a CSV.")
        try:
            csvfile.read_rows(text)
        except csvfile.ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload.name, text


class ImportMappingForm(forms.Form):
    """One select per column of the file ("col_0", "col_1"…: headers may hold anything),
    what the import may do, and an optional name to keep the mapping under."""

    mode = forms.ChoiceField(
        label="What the import may do", choices=ImportMode.choices, widget=forms.RadioSelect
    )
    save_as = forms.CharField(
        label="Save this mapping as",
        max_length=80,
        required=False,
        help_text="Optional. A later file with the same columns gets this mapping by itself.",
    )

    def __init__(
        self,
        *args: object,
        kind: kinds.ImportKind,
        headers: list[str],
        samples: dict[str, str],
        initial_mapping: dict[str, str],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.kind, self.headers = kind, headers
        options = [(IGNORE, "— leave this column out —")] + [
            (f.name, f.label + (" (required)" if f.required else "")) for f in kind.fields
        ]
        self.column_names = []
        for index, header in enumerate(headers):
            name = f"col_{index}"
            sample = samples.get(header, "")
            self.fields[name] = forms.ChoiceField(
                label=header or f"(column {index + 1}, unnamed)",
                choices=options,
                required=False,
                initial=initial_mapping.get(header, IGNORE),
                widget=forms.Select(
                    attrs={"class": "form-select", "aria-describedby": f"id_{name}_sample"}
                ),
                help_text=f"First row: {sample[:60]}" if sample else "First row: (empty)",
            )
            self.column_names.append(name)

    def column_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.column_names]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        mapping = {
            header: str(cleaned.get(f"col_{index}") or IGNORE)
            for index, header in enumerate(self.headers)
        }
        try:
            kinds.check_mapping(self.kind, self.headers, mapping)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        cleaned["mapping"] = mapping
        return cleaned

from __future__ import annotations

from django import forms
from django.conf import settings

from prospects.importing import csvfile


class AccountImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, one row per contact. Columns: " + ", ".join(csvfile.COLUMNS) + ".",
    )

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

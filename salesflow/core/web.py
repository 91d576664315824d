"""View helpers every app shares: one view per action, service errors onto forms, and CSV
cells made safe."""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_POST

T = TypeVar("T")
Action = Callable[[HttpRequest, T], HttpResponse | None]
View = Callable[[HttpRequest, int], HttpResponse]


def action_view(
    *, load: Callable[[HttpRequest, int], T], back: Callable[[T], HttpResponse]
) -> Callable[[Action[T]], View]:
    """Make POST views of one action each on one row (`<thing>/<pk>/<action>/`, one URL per
    action, as healthchecks' pause and resume), sharing what every such view does: `load`
    the row the user may act on (raising Http404 or PermissionDenied), do the action, say
    its refusal (a ValidationError) as a message, and go `back` to the row's page — unless
    the action answers with a response of its own.

        on_step = action_view(load=…, back=…)

        @on_step
        def soe_step_reopen(request: HttpRequest, step: SoeStep) -> None:
            soe_services.soe_step_reopen(actor=request.user, step=step)
    """

    def decorate(action: Action[T]) -> View:
        @require_POST
        @functools.wraps(action)
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            target = load(request, pk)
            try:
                answer = action(request, target)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                answer = None
            return answer if answer is not None else back(target)

        return view

    return decorate


def form_errors_to(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names, or at the top of the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def csv_safe(row: Iterable[object]) -> list[object]:
    """A CSV row that a spreadsheet shows as written.

    A cell starting with = + - @ would run as a formula when the file is opened in a
    spreadsheet; a leading apostrophe keeps it as text.
    """
    return [
        "'" + value if isinstance(value, str) and value.startswith(("=", "+", "-", "@")) else value
        for value in row
    ]


def csv_unsafe(value: str) -> str:
    """csv_safe's inverse for a cell read back (an import of an export): the apostrophe that
    kept "+44 20…" from running as a formula is not part of the value."""
    if value.startswith("'") and value[1:2] in {"=", "+", "-", "@"}:
        return value[1:]
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def streamed_csv(
    file_name: str, header: list[str], rows: Iterable[Iterable[object]]
) -> StreamingHttpResponse:
    """A CSV download written row by row as it is read, so a large export never sits in
    memory; every cell made safe for a spreadsheet."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in _chain([header], (csv_safe(row) for row in rows)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _chain(*parts: Iterable[list[object]]) -> Iterable[list[object]]:
    for part in parts:
        yield from part

"""``Idempotency-Key`` on the API's creations: a client that sends a creation again (its
connection dropped before the answer came) with the same key gets the first answer back,
and nothing is created twice. After the IETF httpapi draft "The Idempotency-Key HTTP
Header Field".

Use it on the ``post`` method of a view that creates::

    from salesflow.core.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent

    class FollowUpList(generics.ListAPIView):
        @extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER], responses={...,
                       **idempotency_responses()})
        @idempotent
        def post(self, request, ...): ...

What a client gets:

- No header: the request is served as usual.
- A new key: the request is served; if it succeeds (2xx), its status and JSON body are kept
  for 24 hours under (user, key), written in the creation's own transaction, so a creation
  that fails or is rolled back keeps nothing and its retry really creates. A refusal (400,
  403, 404…) is not kept either: corrected and sent again, it is served afresh.
- The same key again, with the same method, path and body: the kept answer, same status and
  body, with ``Idempotent-Replayed: true``.
- The same key with another path or body: 422 problem details; nothing is done.
- Two requests with the same key at once: the unique index on (user, key) makes the second
  one's insert wait for the first's commit; it then replays the first's answer (or, if the
  first failed, serves the request itself). Only one creates.
- A key that is not 1 to 255 printable ASCII characters: 400 problem details. A key sent as
  a structured-field string (``"abc"``, the draft's spelling) is read without its quotes.

Keys older than 24 hours are forgotten lazily: each keyed request deletes its own key if it
has expired, and, in a short transaction of its own that skips rows others are deleting, up
to 100 of anyone's oldest expired keys (through the created_at index), so the table stays
small without a scheduled job.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from salesflow.core.api.errors import problem_responses
from salesflow.core.api.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Expired keys deleted by one request, besides its own: enough to keep up with any rate of
# keyed creations, few enough to cost nothing.
PURGE_BATCH = 100

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A key of your choosing (a UUID is ideal), 1 to 255 printable ASCII "
    "characters. Send the request again with the same key (after a timeout, say) and you "
    "get the first answer back, marked `Idempotent-Replayed: true`, instead of a second "
    "record. The same key with another body is refused (422). Keys are kept for 24 hours.",
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used for another request (another address or "
        "body). Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"
    problem_slug = "idempotency-key-reused"
    problem_title = "Idempotency-Key already used for another request."


def idempotency_responses() -> dict[tuple[int, str], OpenApiResponse]:
    """The schema's 422 answer of an idempotent endpoint (the 400 is the endpoint's own)."""
    return problem_responses(422)


def read_key(raw: str) -> str:
    """The key as sent, without a structured-field string's quotes; 400 if unfit."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
        raise exceptions.ValidationError(
            {HEADER: [f"Give 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID is ideal)."]}
        )
    return key


def fingerprint(request: Request) -> str:
    """SHA-256 of the method, the path and the body as parsed (so that spacing or the order
    of a JSON object's keys does not make a retry look like another request)."""
    data = request.data  # a body that cannot be read is a 400 here, before anything is kept
    if hasattr(data, "lists"):
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _forget_expired(expired: datetime) -> None:
    """Delete up to PURGE_BATCH of anyone's expired keys in one statement of its own: rows
    another request is deleting are skipped, not waited for, so keyed requests arriving
    together never queue behind one another's clean-up (and it costs one round trip)."""
    table = IdempotencyKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE created_at < %s "
            "ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED)",
            [expired, PURGE_BATCH],
        )


def _replay(kept: IdempotencyKey, *, print_: str) -> Response:
    # The fingerprint covers the method and the path as well as the body.
    if kept.fingerprint != print_:
        raise IdempotencyKeyReused()
    # Read back in order and rendered by the same renderer: the first answer's very bytes.
    return Response(
        json.loads(kept.response_body),
        status=kept.response_status,
        headers={REPLAYED_HEADER: "true"},
    )


def idempotent(post: Callable[..., Response]) -> Callable[..., Response]:
    """Make a DRF view's creating method honour ``Idempotency-Key`` (see the module's doc).

    The method runs inside this decorator's transaction; what it writes commits together
    with the kept answer, or not at all. It should raise on refusal (DRF and Django errors
    do); a non-2xx answer it returns is passed on and its writes rolled back, unkept.
    """

    @functools.wraps(post)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.headers.get(HEADER)
        if raw is None:
            return post(view, request, *args, **kwargs)
        key = read_key(raw)
        method, path, print_ = request.method or "POST", request.path, fingerprint(request)
        user = request.user
        expired = timezone.now() - KEPT_FOR
        _forget_expired(expired)
        with transaction.atomic():
            # This user's key, if it expired, is forgotten in this transaction: the claim
            # below then takes its place.
            IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=expired).delete()
            claim = IdempotencyKey(
                user=user,
                key=key,
                method=method,
                path=path[:2000],
                fingerprint=print_,
                response_status=0,  # the answer is filled in below, in this transaction
                response_body="",
            )
            try:
                with transaction.atomic():
                    # Claims the key. If another request holds it uncommitted, this insert
                    # waits for that transaction: its commit makes this one fail (and we
                    # replay its answer), its rollback lets this one through.
                    claim.save(force_insert=True)
            except IntegrityError:
                kept = IdempotencyKey.objects.get(user=user, key=key)
                return _replay(kept, print_=print_)
            response = post(view, request, *args, **kwargs)
            if not status.is_success(response.status_code):
                transaction.set_rollback(True)
                return response
            # Kept as the client read it, rendered by the API's renderer.
            claim.response_status = response.status_code
            claim.response_body = (JSONRenderer().render(response.data) or b"null").decode()
            claim.save(update_fields=["response_status", "response_body"])
        return response

    return wrapper

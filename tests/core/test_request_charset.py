"""A request that says it is not UTF-8 is refused with a plain 400 — on every address,
signed in or not, and under the production settings — never a 500."""

from __future__ import annotations

import codecs
import io
import textwrap

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from salesflow import env
from tests.core.test_login_required import ALL_URLS
from tests.core.test_settings import GOOD_SECRET, run_manage
from tests.factories import UserFactory
from tests.hostile import (
    BAD_CHARSETS,
    assert_refused_as_not_utf8,
    bodies_in,
    csrf_client,
    fuzz,
    post_in,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "admin"])
def test_every_address_refuses_a_post_in_another_charset(signed_in):
    user = UserFactory(role="admin", is_staff=True, is_superuser=True) if signed_in else None
    client, token = csrf_client(user)
    for _, path in ALL_URLS:
        for charset in ("utf-16", "latin-1", "foo", "hex"):
            for body, content_type in bodies_in(charset, {"csrfmiddlewaretoken": token, "q": "é"}):
                response = post_in(client, path, body, content_type)
                assert response.status_code == 400, (path, content_type)
    assert_refused_as_not_utf8(response)


@pytest.mark.parametrize(
    "content_type",
    [
        'application/x-www-form-urlencoded; charset="utf-16"',
        "application/x-www-form-urlencoded;charset=LATIN-1",
        "multipart/form-data; charset=utf-16",  # no boundary either
        "text/plain; charset=hex",
        "application/json; charset=utf-32",
    ],
)
def test_any_body_that_names_another_charset_is_refused(rep, content_type):
    client, _ = csrf_client(rep)
    assert_refused_as_not_utf8(post_in(client, "/accounts/new/", b"name=x", content_type))


def call_wsgi(application, content_type: str, path: str = "/search/", query: str = "q=%C3%A9"):
    """One GET through a WSGI application, as gunicorn makes it; returns (status, body)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
    }
    answered = []
    body = b"".join(application(environ, lambda status, headers: answered.append(status)))
    return answered[0], body


@pytest.mark.parametrize("charset", ["hex", "rot13", "base64", "utf-16", "foo"])
def test_the_wsgi_entry_refuses_what_django_cannot_even_read(charset):
    """With a query string and a charset that is not a text encoding, Django's request
    object fails as it is built, before any middleware: the entry point refuses first."""
    from salesflow.wsgi import application

    status, body = call_wsgi(application, f"text/plain; charset={charset}")
    assert status == "400 Bad Request"
    assert b"UTF-8" in body
    status, _ = call_wsgi(application, "text/plain; charset=utf-8")
    assert status == "302 Found"  # to the sign-in page, as without any charset


@fuzz
@given(
    charset=st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters=';"\\\x7f'),
        max_size=24,
    )
)
def test_whatever_charset_is_named_the_answer_is_never_a_500(rep, charset):
    client, token = csrf_client(rep)
    try:
        utf8 = codecs.lookup(charset.strip()).name == "utf-8"
    except LookupError:
        utf8 = False
    for body, content_type in bodies_in(charset, {"csrfmiddlewaretoken": token, "q": "x"}):
        response = post_in(client, "/reviews/new/", body, content_type)
        assert response.status_code != 500
        if not utf8 and charset.strip():
            assert_refused_as_not_utf8(response)


PRODUCTION_JOB = textwrap.dedent(
    """
    import io
    import uuid
    from django.db import transaction
    from django.test import Client
    from salesflow.core.models import User

    SECRET = "a" * 32  # a CSRF cookie's secret; the form may send it as the token
    with transaction.atomic():
        user = User.objects.create_user(username=f"charset-{uuid.uuid4().hex}")
        for who, paths in (("visitor", ["/login/"]), ("rep", ["/accounts/new/", "/calendar/"])):
            client = Client(
                enforce_csrf_checks=True,
                raise_request_exception=False,
                HTTP_X_FORWARDED_PROTO="https",
                HTTP_ORIGIN="https://testserver",
                HTTP_HOST="testserver",
            )
            client.cookies["csrftoken"] = SECRET
            if who == "rep":
                client.force_login(user)
            for path in paths:
                for charset in CHARSETS:
                    body = f"csrfmiddlewaretoken={SECRET}&username=x&password=y&name=Ok"
                    response = client.generic(
                        "POST",
                        path,
                        body.encode(),
                        content_type=f"application/x-www-form-urlencoded; charset={charset}",
                    )
                    print(who, path, charset, response.status_code, response["Content-Type"])
        transaction.set_rollback(True)

    from salesflow.wsgi import application
    for charset in CHARSETS:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/login/", "QUERY_STRING": "next=/",
            "CONTENT_TYPE": f"application/x-www-form-urlencoded; charset={charset}",
            "CONTENT_LENGTH": "3", "SERVER_NAME": "testserver", "SERVER_PORT": "443",
            "HTTP_HOST": "testserver", "HTTP_X_FORWARDED_PROTO": "https",
            "wsgi.input": io.BytesIO(b"a=b"), "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "https",
        }
        answered = []
        b"".join(application(environ, lambda status, headers: answered.append((status, headers))))
        status, headers = answered[0]
        print("wsgi", charset, status.split()[0], dict(headers)["Content-Type"])
    """
)


def test_the_production_settings_answer_400_too(django_db_setup, tmp_path):
    """The production settings (DEBUG off, HTTPS behind a proxy), in a process of their
    own, on the test database; what the job writes it rolls back."""
    job = f"CHARSETS = {BAD_CHARSETS!r}\n" + PRODUCTION_JOB
    result = run_manage(
        "shell",
        "-c",
        job,
        extra_env={
            "DJANGO_SETTINGS_MODULE": "salesflow.settings.production",
            "SALESFLOW_VAR_DIR": str(tmp_path),
            "SECRET_KEY": GOOD_SECRET,
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": env.database_url(connection.settings_dict),
            "REDIS_URL": "redis://127.0.0.1:6379/15",  # read, never reached
        },
    )
    assert result.returncode == 0, result.stderr
    lines = [
        line for line in result.stdout.splitlines() if line.startswith(("visitor", "rep", "wsgi"))
    ]
    assert len(lines) == 4 * len(BAD_CHARSETS), result.stdout
    for line in lines:
        assert line.endswith(" 400 text/plain; charset=utf-8"), line

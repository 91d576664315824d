"""Every write of two-factor sign-in: enrol, check a code, new recovery codes, turn off."""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import Error as BinasciiError
from binascii import unhexlify

import django_otp
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from salesflow.core.models import User
from salesflow.core.twofactor import selectors
from salesflow.core.twofactor.access import two_factor_required

RECOVERY_CODE_COUNT = 10
# What authenticator apps expect by default: 6 digits every 30 seconds, SHA-1.
CODE_DIGITS = 6
CODE_STEP = 30
# The code before and after the current one also count: phones' clocks drift.
CODE_TOLERANCE = 1
SECRET_BYTES = 20


def new_secret() -> str:
    """A fresh authenticator secret, hex-encoded as django-otp stores it."""
    return random_hex(SECRET_BYTES)


def secret_for_typing(secret: str) -> str:
    """The secret as authenticator apps ask for it when typed by hand: base32, in fours."""
    text = b32encode(unhexlify(secret)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address a QR code carries (the issuer is settings.OTP_TOTP_ISSUER)."""
    return TOTPDevice(user=user, key=secret, digits=CODE_DIGITS, step=CODE_STEP).config_url


def _check_secret(secret: str) -> bytes:
    try:
        key = unhexlify(secret.encode())
    except (BinasciiError, ValueError, UnicodeEncodeError):
        key = b""
    if len(key) != SECRET_BYTES:
        raise ValidationError("The set-up has expired. Start again from the two-factor page.")
    return key


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones; the old stop."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    ordered = sorted(codes)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in ordered)
    return ordered


@transaction.atomic
def twofactor_enrol(*, actor: User, secret: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Turn on two-factor sign-in with the authenticator holding `secret`, once it shows it
    holds it (`code` is its current code). Returns the device and the new recovery codes,
    which are never shown again."""
    # Two confirmations at once (a double click) must leave one authenticator.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    if selectors.has_two_factor(actor):
        raise ValidationError("Two-factor sign-in is already on for your account.")
    key = _check_secret(secret)
    totp = TOTP(key, step=CODE_STEP, digits=CODE_DIGITS)
    totp.time = time.time()
    if not (code.isascii() and code.isdigit() and len(code) == CODE_DIGITS) or not totp.verify(
        int(code), tolerance=CODE_TOLERANCE
    ):
        raise ValidationError(
            "That code does not match. Check the app shows salesflow and type the code it "
            "shows now."
        )
    TOTPDevice.objects.filter(user=actor).delete()  # a set-up never finished
    device = TOTPDevice.objects.create(
        user=actor,
        name="Authenticator app",
        key=secret,
        digits=CODE_DIGITS,
        step=CODE_STEP,
        tolerance=CODE_TOLERANCE,
        drift=totp.drift,
        # The code just typed cannot be used again to sign in.
        last_t=totp.t(),
        confirmed=True,
    )
    return device, _new_recovery_codes(actor)


def twofactor_verify(*, actor: User, code: str) -> Device:
    """The device that accepts `code` (an authenticator's 6 digits or a recovery code);
    ValidationError with the reason otherwise.

    Not one transaction on purpose: django-otp records each failure (and spends a recovery
    code) in its own, so a refused code still counts toward the device's throttling — its
    wait doubles with each wrong code — and a recovery code works once.
    """
    by_app = code.isascii() and code.isdigit() and len(code) == CODE_DIGITS
    device: Device | None = (
        selectors.authenticator_for(actor) if by_app else selectors.recovery_device_for(actor)
    )
    if device is None:
        if by_app:
            raise ValidationError("Two-factor sign-in is not on for your account.")
        raise ValidationError("That recovery code is not valid (each works only once).")
    allowed, details = device.verify_is_allowed()
    if not allowed:
        raise ValidationError(_wait_message(details))
    if django_otp.verify_token(actor, device.persistent_id, code) is None:
        if by_app:
            raise ValidationError("That code is not right. Type the code the app shows now.")
        raise ValidationError("That recovery code is not valid (each works only once).")
    return device


def _wait_message(details: dict | None) -> str:
    until = (details or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return f"Too many wrong codes. Wait {seconds} seconds before trying again."


@transaction.atomic
def twofactor_codes_regenerate(*, actor: User) -> list[str]:
    """New recovery codes for the user; the old ones stop working."""
    User.objects.select_for_update().filter(pk=actor.pk).first()
    if not selectors.has_two_factor(actor):
        raise ValidationError("Turn on two-factor sign-in first.")
    return _new_recovery_codes(actor)


def twofactor_disable(*, actor: User, code: str) -> None:
    """Turn two-factor sign-in off, after a current code (or a recovery code) shows the
    person asking still holds the second factor; refused for whoever must use it."""
    if two_factor_required(actor):
        raise ValidationError(
            "Your role must sign in with two factors, so it cannot be turned off. To move "
            "to a new phone, ask an admin to reset it."
        )
    if not selectors.has_two_factor(actor):
        raise ValidationError("Two-factor sign-in is not on for your account.")
    twofactor_verify(actor=actor, code=code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor).delete()
        StaticDevice.objects.filter(user=actor).delete()

"""An authenticator app in a test: the codes it would show, and a user enrolled with one."""

from __future__ import annotations

import time
from binascii import unhexlify

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from salesflow.core.models import User
from salesflow.core.twofactor import services


def code_at(key: bytes, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding `key` shows, `steps_ahead` periods from now."""
    totp = TOTP(key, step=30, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def next_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet: each code works once, so the one after the
    code that confirmed enrolment (within the tolerance of one step)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, step=device.step, digits=device.digits, drift=device.drift)
    totp.time = time.time()
    ahead = 1 if totp.t() <= device.last_t else 0
    return code_at(device.bin_key, steps_ahead=ahead + device.drift)


def enrolled(user: User) -> tuple[TOTPDevice, list[str]]:
    secret = services.new_secret()
    return services.twofactor_enrol(actor=user, secret=secret, code=code_at(unhexlify(secret)))

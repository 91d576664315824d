"""A real SMTP server for tests and the soak (aiosmtpd, in a thread): it keeps what it
accepts, counts connections, and can be told to refuse for a while or to be slow.

aiosmtpd is a development requirement: import this module only where it is installed."""

from __future__ import annotations

import asyncio
import email
import logging
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    message_id: str
    recipients: tuple[str, ...]
    subject: str


@dataclass
class SmtpSink:
    """`refusing`: answer every message with a temporary error (451), as a server that is
    overloaded or being restarted does. `delay`: seconds to take over each message."""

    refusing: bool = False
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    refused: int = 0
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every line
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def by_message_id(self) -> Counter[str]:
        with self._lock:
            return Counter(message.message_id for message in self.received)

    def message_ids_by_recipient(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        with self._lock:
            for message in self.received:
                for recipient in message.recipients:
                    found.setdefault(recipient, set()).add(message.message_id)
        return found


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        with self.sink._lock:
            self.sink.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink.refusing:
            with self.sink._lock:
                self.sink.refused += 1
            return "451 4.3.0 Not now: try again later"
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with self.sink._lock:
            self.sink.received.append(
                Received(
                    message_id=message["Message-ID"] or "",
                    recipients=tuple(envelope.rcpt_tos),
                    subject=message["Subject"] or "",
                )
            )
        return "250 OK"

"""A real HTTP receiver on 127.0.0.1 for the webhook tests: it records every POST (headers
and body, in arrival order) and answers as the test tells it — a status, a redirect, a huge
or a slow answer — or not at all once stopped, to play a receiver that is down."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = 0
    status: int = 204
    answer: bytes = b""
    extra_headers: dict[str, str] = field(default_factory=dict)
    # Seconds between bytes of the answer's body (a receiver that trickles).
    trickle: float = 0.0
    # Seconds before answering at all (a receiver that hangs).
    delay: float = 0.0
    # (certificate file, key file): answer over TLS.
    tls: tuple[str, str] | None = None
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        Received({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(receiver.answer)))
                self.send_header("connection", "close")
                self.end_headers()
                try:
                    if receiver.trickle:
                        for byte in receiver.answer:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(receiver.trickle)
                    else:
                        self.wfile.write(receiver.answer)
                except OSError:
                    pass  # the sender hung up: what it wanted to show

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def by_webhook_id(self) -> Counter[str]:
        with self._lock:
            return Counter(item.webhook_id for item in self.received)

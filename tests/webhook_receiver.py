"""A real HTTP receiver on loopback for the webhook tests: it checks each signature with standardwebhooks.

`answer` sets how it answers: "ok" (204 when the signature verifies, 400 when not), "error" (500) or
"slow" (answers 204 after `delay` seconds). `down_url()` is a loopback URL where nothing listens.
"""

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict
    body: bytes
    verified: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    secret: str | None = None  # None: a chat endpoint, which is not signed
    answer: str = "ok"
    delay: float = 2.0
    received: list[Received] = field(default_factory=list)

    def handle(self, handler: BaseHTTPRequestHandler) -> int:
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        headers = dict(handler.headers.items())
        verified = False
        if self.secret:
            try:
                Webhook(self.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        self.received.append(Received(headers, body, verified))
        if self.answer == "error":
            return 500
        if self.answer == "slow":
            time.sleep(self.delay)
        return 400 if self.secret and not verified else 204


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        status = self.server.receiver.handle(self)
        try:
            self.send_response(status)
            self.end_headers()
            if status >= 400:
                self.wfile.write(b"receiver says no")
        except OSError:
            pass  # the sender gave up waiting (the slow receiver)

    def log_message(self, format, *args):
        pass


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/opmodel")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.receiver, server


def down_url() -> str:
    """A loopback port nobody listens on: bound, then closed, so a connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/opmodel"

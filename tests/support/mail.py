"""A real SMTP server on localhost (aiosmtpd) that keeps every message it accepts."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    """An aiosmtpd handler that keeps every message the server accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        # The default policy gives header values unfolded and decoded.
        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]


def message_text(message: EmailMessage) -> str:
    content: str = message.get_content()
    return content.replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

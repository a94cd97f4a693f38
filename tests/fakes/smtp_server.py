"""A real SMTP server on loopback that records what it receives, for the outbox's tests.

`serve_fake_smtp()` runs it in background threads (one per connection) on 127.0.0.1 at a free
port. It speaks the part of RFC 5321 that `smtplib` uses: EHLO/HELO, AUTH PLAIN and LOGIN
(RFC 4954, offered and required only when the server has credentials), MAIL, RCPT, DATA with
dot-stuffing, RSET, NOOP and QUIT. Tests can make it refuse the next messages, or hold one
before answering to widen a race.
"""

from __future__ import annotations

import base64
import binascii
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Literal
from urllib.parse import quote

MAX_LINE_BYTES = 64 * 1024
IDLE_TIMEOUT_S = 10.0
HOLD_TIMEOUT_S = 10.0

Stage = Literal["mail", "rcpt", "data"]
"""Where a refusal is answered: to MAIL FROM, to RCPT TO, or after the message's final dot."""

REFUSALS = {
    451: "451 4.3.0 Temporarily refused by the test server, try again later",
    554: "554 5.7.1 Message refused by the test server",
}


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted message: its envelope, who had authenticated, and the parsed content."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    authenticated_as: str | None
    raw: bytes
    """As received (CRLF line endings, dot-stuffing undone)."""
    message: EmailMessage

    @property
    def body(self) -> str:
        """The text of a single-part message, decoded."""
        content = self.message.get_content()
        if not isinstance(content, str):
            raise TypeError(f"not a text message: {self.message.get_content_type()}")
        return content


@dataclass
class Hold:
    """A message the server has received but not yet answered, until `release()`."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def wait_arrived(self, timeout: float = HOLD_TIMEOUT_S) -> None:
        if not self.arrived.wait(timeout):
            raise TimeoutError(f"no message reached the held reply in {timeout}s")

    def release(self) -> None:
        self.released.set()


class FakeSmtp:
    """The server's state: credentials, scripted refusals and holds, and what it received."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.credentials = credentials
        self.host = "127.0.0.1"
        self.port = 0
        self._messages: list[ReceivedMessage] = []
        self._refusals: list[tuple[int, Stage]] = []
        self._holds: list[Hold] = []
        self._all_holds: list[Hold] = []
        self._failed_logins: list[str] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """An `smtp://` URL for this server, with its credentials (percent-quoted) if any."""
        if self.credentials is None:
            return f"smtp://{self.host}:{self.port}"
        user, password = (quote(part, safe="") for part in self.credentials)
        return f"smtp://{user}:{password}@{self.host}:{self.port}"

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def failed_logins(self) -> list[str]:
        """Usernames of rejected AUTH attempts, in order."""
        with self._lock:
            return list(self._failed_logins)

    def refuse_next(self, count: int = 1, *, code: int = 451, stage: Stage = "data") -> None:
        """Refuse the next `count` messages: 451 (transient) or 554 (permanent) at `stage`."""
        if code not in REFUSALS:
            raise ValueError(f"refusal code must be one of {sorted(REFUSALS)}, not {code}")
        with self._lock:
            self._refusals.extend([(code, stage)] * count)

    def hold_next(self) -> Hold:
        """Hold the reply to the next message's final dot until the returned hold is released."""
        hold = Hold()
        with self._lock:
            self._holds.append(hold)
            self._all_holds.append(hold)
        return hold

    def release_holds(self) -> None:
        """Release every hold, so that no session is left waiting (done on stop)."""
        with self._lock:
            holds = list(self._all_holds)
        for hold in holds:
            hold.release()

    def reset(self) -> None:
        """Forget received messages, failed logins and pending refusals; release all holds."""
        self.release_holds()
        with self._lock:
            self._all_holds.clear()
            self._messages.clear()
            self._refusals.clear()
            self._holds.clear()
            self._failed_logins.clear()

    def check_login(self, user: str, password: str) -> bool:
        if (user, password) == self.credentials:
            return True
        with self._lock:
            self._failed_logins.append(user)
        return False

    def take_refusal(self, stage: Stage) -> str | None:
        """The reply refusing the current message at `stage`, consuming one refusal, or None."""
        with self._lock:
            if self._refusals and self._refusals[0][1] == stage:
                code, _ = self._refusals.pop(0)
                return REFUSALS[code]
        return None

    def take_hold(self) -> Hold | None:
        with self._lock:
            return self._holds.pop(0) if self._holds else None

    def record(self, message: ReceivedMessage) -> None:
        with self._lock:
            self._messages.append(message)


class _Closed(Exception):
    """The client went away (or sent QUIT); end the session."""


@dataclass
class _Session:
    greeted: bool = False
    user: str | None = None
    mail_from: str | None = None
    rcpt_to: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.mail_from = None
        self.rcpt_to = []


def _path(argument: str, prefix: str) -> str | None:
    """The address in `FROM:<a@b> PARAMS` / `TO:<a@b>`, or None if malformed."""
    if not argument.upper().startswith(prefix):
        return None
    rest = argument[len(prefix) :].strip()
    if not rest.startswith("<") or ">" not in rest:
        return None
    return rest[1 : rest.index(">")]


def _b64(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


class _Handler(socketserver.StreamRequestHandler):
    timeout = IDLE_TIMEOUT_S
    server: _Server

    def handle(self) -> None:
        fake = self.server.fake
        session = _Session()
        self.reply("220 fake-smtp ESMTP ready")
        try:
            while True:
                line = self.read_line().decode("utf-8", "replace")
                verb, _, argument = line.partition(" ")
                self.dispatch(fake, session, verb.upper(), argument.strip())
        except (_Closed, OSError):
            return

    def read_line(self) -> bytes:
        line = self.rfile.readline(MAX_LINE_BYTES)
        if not line:
            raise _Closed
        return line.rstrip(b"\r\n")

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def dispatch(self, fake: FakeSmtp, session: _Session, verb: str, argument: str) -> None:
        if verb in ("EHLO", "HELO"):
            session.greeted = True
            session.reset()
            if verb == "HELO":
                self.reply("250 fake-smtp")
                return
            features = ["8BITMIME", "SMTPUTF8"]
            if fake.credentials is not None:
                features.append("AUTH PLAIN LOGIN")
            lines = ["fake-smtp greets " + (argument or "you"), *features]
            for line in lines[:-1]:
                self.reply("250-" + line)
            self.reply("250 " + lines[-1])
        elif verb == "NOOP":
            self.reply("250 2.0.0 OK")
        elif verb == "RSET":
            session.reset()
            self.reply("250 2.0.0 OK")
        elif verb == "QUIT":
            self.reply("221 2.0.0 Bye")
            raise _Closed
        elif not session.greeted:
            self.reply("503 5.5.1 Send EHLO or HELO first")
        elif verb == "AUTH":
            self.authenticate(fake, session, argument)
        elif verb == "MAIL":
            self.mail(fake, session, argument)
        elif verb == "RCPT":
            self.rcpt(fake, session, argument)
        elif verb == "DATA":
            self.data(fake, session)
        else:
            self.reply(f"500 5.5.2 Command not recognized: {verb[:20]}")

    def authenticate(self, fake: FakeSmtp, session: _Session, argument: str) -> None:
        if fake.credentials is None:
            self.reply("502 5.5.1 AUTH not offered")
            return
        if session.user is not None:
            self.reply("503 5.5.1 Already authenticated")
            return
        mechanism, _, initial = argument.partition(" ")
        mechanism = mechanism.upper()
        if mechanism == "PLAIN":
            plain = _b64(initial or self.challenge(""))
            parts = plain.split("\0") if plain is not None else []
            if len(parts) != 3:
                self.reply("501 5.5.2 Malformed AUTH PLAIN response")
                return
            _, user, password = parts
        elif mechanism == "LOGIN":
            login_user = _b64(initial or self.challenge("VXNlcm5hbWU6"))  # "Username:"
            login_password = _b64(self.challenge("UGFzc3dvcmQ6"))  # "Password:"
            if login_user is None or login_password is None:
                self.reply("501 5.5.2 Malformed AUTH LOGIN response")
                return
            user, password = login_user, login_password
        else:
            self.reply("504 5.5.4 Unrecognized authentication mechanism")
            return
        if fake.check_login(user, password):
            session.user = user
            self.reply("235 2.7.0 Authentication successful")
        else:
            self.reply("535 5.7.8 Authentication credentials invalid")

    def challenge(self, prompt: str) -> str:
        self.reply(f"334 {prompt}")
        answer = self.read_line().decode("ascii", "replace")
        return "" if answer == "*" else answer

    def mail(self, fake: FakeSmtp, session: _Session, argument: str) -> None:
        address = _path(argument, "FROM:")
        if address is None:
            self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
        elif fake.credentials is not None and session.user is None:
            self.reply("530 5.7.0 Authentication required")
        elif session.mail_from is not None:
            self.reply("503 5.5.1 Nested MAIL command")
        elif refusal := fake.take_refusal("mail"):
            self.reply(refusal)
        else:
            session.mail_from = address
            self.reply("250 2.1.0 OK")

    def rcpt(self, fake: FakeSmtp, session: _Session, argument: str) -> None:
        address = _path(argument, "TO:")
        if session.mail_from is None:
            self.reply("503 5.5.1 Need MAIL before RCPT")
        elif not address:
            self.reply("501 5.5.4 Syntax: RCPT TO:<address>")
        elif refusal := fake.take_refusal("rcpt"):
            self.reply(refusal)
        else:
            session.rcpt_to.append(address)
            self.reply("250 2.1.5 OK")

    def data(self, fake: FakeSmtp, session: _Session) -> None:
        if session.mail_from is None or not session.rcpt_to:
            self.reply("503 5.5.1 Need MAIL and RCPT before DATA")
            return
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        lines: list[bytes] = []
        while True:
            line = self.rfile.readline(MAX_LINE_BYTES)
            if not line:
                raise _Closed
            if line == b".\r\n":
                break
            lines.append(line[1:] if line.startswith(b".") else line)  # undo dot-stuffing
        raw = b"".join(lines)
        envelope = (session.mail_from, tuple(session.rcpt_to))
        session.reset()
        if hold := fake.take_hold():
            hold.arrived.set()
            hold.released.wait(HOLD_TIMEOUT_S)
        if refusal := fake.take_refusal("data"):
            self.reply(refusal)
            return
        # Parsed with Python's line endings, so that bodies compare equal to the text sent.
        parsed = BytesParser(EmailMessage, policy=policy.default).parsebytes(
            raw.replace(b"\r\n", b"\n")
        )
        fake.record(ReceivedMessage(envelope[0], envelope[1], session.user, raw, parsed))
        self.reply("250 2.0.0 OK: queued")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeSmtp) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


@contextmanager
def serve_fake_smtp(credentials: tuple[str, str] | None = None) -> Iterator[FakeSmtp]:
    """Serve a `FakeSmtp` on 127.0.0.1 at a free port until the block ends.

    With `credentials` (user, password) it offers AUTH PLAIN and LOGIN and refuses mail from
    sessions that did not authenticate with them.
    """
    fake = FakeSmtp(credentials)
    server = _Server(fake)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="fake-smtp", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release_holds()
        server.shutdown()
        server.server_close()
        thread.join(timeout=IDLE_TIMEOUT_S)


def free_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port

"""The email outbox: one row per key, delivered over real SMTP (a loopback fake) exactly once."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.outbox import SmtpTarget, deliver_pending, enqueue_email
from runtime.database import Pool
from runtime.resources import Resources
from tests.fakes.smtp_server import FakeSmtp, Stage, free_port, serve_fake_smtp

SENDER = "opsgraph@shop.test"
OTHER_TENANT = "outbox-other"
# Shaped like the tools' keys: `{thread_id}/{tool_call_id}`, the thread being `event:<uuid>`.
EVENT_KEY = "event:0c6f1d52-2f55-4a7e-9d38-1f7a2b9c4e10/call_welcome"
# A line that is a lone dot, and lines that start with one: SMTP must stuff and unstuff them.
DOTTED_BODY = "Hello Ada,\n.\n..two dots\n.one dot\nThanks — l'équipe\n"


@pytest.fixture
def pool(resources: Resources) -> Pool:
    return resources.pool


@pytest.fixture(autouse=True)
async def empty_outbox(pool: Pool) -> None:
    """Delivery takes every tenant's pending mail, so each test starts from an empty outbox."""
    async with pool.connection() as conn:
        await conn.execute("DELETE FROM email_outbox")
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'Outbox tests')"
            " ON CONFLICT (tenant_id) DO NOTHING",
            (OTHER_TENANT,),
        )


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with serve_fake_smtp() as fake:
        yield fake


@pytest.fixture
def target(smtp: FakeSmtp) -> SmtpTarget:
    return SmtpTarget.from_url(smtp.url, sender=SENDER)


async def enqueue(
    pool: Pool,
    key: str,
    *,
    tenant_id: str = "default",
    recipient: str = "ada@customer.test",
    subject: str = "Welcome!",
    body: str = "Welcome aboard.",
) -> uuid.UUID:
    async with pool.connection() as conn:
        return await enqueue_email(
            conn,
            tenant_id=tenant_id,
            idempotency_key=key,
            recipient=recipient,
            subject=subject,
            body=body,
        )


async def outbox(pool: Pool) -> dict[str, dict[str, Any]]:
    """Every row, by idempotency key."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT tenant_id, message_id, idempotency_key, recipient, subject, body, status,"
            " attempts, last_error, sent_at FROM email_outbox ORDER BY created_at"
        )
        return {row["idempotency_key"]: row for row in await cursor.fetchall()}


# Enqueueing


async def test_enqueueing_a_key_twice_keeps_one_row_and_its_id(pool: Pool) -> None:
    first = await enqueue(pool, "thread-1/call-1", subject="First")
    again = await enqueue(pool, "thread-1/call-1", subject="Second")

    assert again == first
    rows = await outbox(pool)
    assert list(rows) == ["thread-1/call-1"]
    assert rows["thread-1/call-1"]["message_id"] == first
    assert rows["thread-1/call-1"]["subject"] == "First"  # the repeat changes nothing
    assert rows["thread-1/call-1"]["status"] == "pending"
    assert rows["thread-1/call-1"]["attempts"] == 0


async def test_different_keys_make_different_messages(pool: Pool) -> None:
    one = await enqueue(pool, "thread-1/call-1")
    two = await enqueue(pool, "thread-1/call-2")
    elsewhere = await enqueue(pool, "thread-1/call-1", tenant_id=OTHER_TENANT)

    assert len({one, two, elsewhere}) == 3
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT tenant_id, idempotency_key, message_id FROM email_outbox"
            " ORDER BY tenant_id, idempotency_key"
        )
        rows = [tuple(row.values()) for row in await cursor.fetchall()]
    assert rows == [
        ("default", "thread-1/call-1", one),
        ("default", "thread-1/call-2", two),
        (OTHER_TENANT, "thread-1/call-1", elsewhere),
    ]


# Delivery


async def test_delivery_sends_each_pending_message_once_and_marks_it_sent(
    pool: Pool, smtp: FakeSmtp, target: SmtpTarget
) -> None:
    await enqueue(pool, "thread-1/call-1", subject="Café — ready", body=DOTTED_BODY)
    await enqueue(
        pool,
        "thread-2/call-1",
        recipient="bob@customer.test",
        subject="Payment failed",
        body="We could not collect 12.00 EUR.",
    )

    assert await deliver_pending(pool, target) == (2, 0)

    received = {m.rcpt_to: m for m in smtp.messages}
    assert len(smtp.messages) == 2 and set(received) == {
        ("ada@customer.test",),
        ("bob@customer.test",),
    }
    ada = received[("ada@customer.test",)]
    assert ada.mail_from == SENDER
    assert ada.message["From"] == SENDER
    assert ada.message["To"] == "ada@customer.test"
    assert ada.message["Subject"] == "Café — ready"
    assert ada.body == DOTTED_BODY
    assert ada.authenticated_as is None
    bob = received[("bob@customer.test",)]
    assert bob.message["Subject"] == "Payment failed"
    assert bob.body == "We could not collect 12.00 EUR.\n"
    rows = await outbox(pool)
    assert ada.message["Message-ID"] == f"<{rows['thread-1/call-1']['message_id']}@opsgraph>"
    assert bob.message["Message-ID"] == f"<{rows['thread-2/call-1']['message_id']}@opsgraph>"
    for row in rows.values():
        assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
        assert row["sent_at"] is not None

    assert await deliver_pending(pool, target) == (0, 0)
    assert len(smtp.messages) == 2
    assert await outbox(pool) == rows


async def test_the_message_id_is_the_same_whenever_a_key_is_sent(
    pool: Pool, smtp: FakeSmtp, target: SmtpTarget
) -> None:
    """A crash between sending and marking resends the message: receivers dedupe on its id."""
    await enqueue(pool, "thread-1/call-1")
    assert await deliver_pending(pool, target) == (1, 0)
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE email_outbox SET status = 'pending', sent_at = NULL, next_attempt_at = now()"
        )
    assert await deliver_pending(pool, target) == (1, 0)
    await enqueue(pool, "thread-1/call-2")
    assert await deliver_pending(pool, target) == (1, 0)

    first, resent, other = (m.message["Message-ID"] for m in smtp.messages)
    assert first == resent
    assert other != first
    assert first.startswith("<") and first.endswith(">")


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
async def test_a_refused_message_stays_pending_and_goes_out_on_a_later_run(
    pool: Pool, smtp: FakeSmtp, target: SmtpTarget, stage: Stage
) -> None:
    await enqueue(pool, "thread-1/refused", recipient="ada@customer.test")
    await enqueue(pool, "thread-1/accepted", recipient="bob@customer.test")
    smtp.refuse_next(1, code=451, stage=stage)

    assert await deliver_pending(pool, target) == (1, 1)

    rows = await outbox(pool)
    refused, accepted = rows["thread-1/refused"], rows["thread-1/accepted"]
    assert (refused["status"], refused["attempts"], refused["sent_at"]) == ("pending", 1, None)
    assert refused["last_error"]
    assert (accepted["status"], accepted["attempts"]) == ("sent", 1)
    assert [m.rcpt_to for m in smtp.messages] == [("bob@customer.test",)]
    assert await deliver_pending(pool, target) == (0, 0), "retried before its backoff"

    await backoff_passes(pool)
    assert await deliver_pending(pool, target) == (1, 0)

    refused = (await outbox(pool))["thread-1/refused"]
    assert (refused["status"], refused["attempts"], refused["last_error"]) == ("sent", 2, None)
    assert refused["sent_at"] is not None
    assert [m.rcpt_to for m in smtp.messages] == [("bob@customer.test",), ("ada@customer.test",)]


async def backoff_passes(pool: Pool) -> None:
    async with pool.connection() as conn:
        await conn.execute("UPDATE email_outbox SET next_attempt_at = now()")


async def test_a_permanent_refusal_fails_the_message_for_good(
    pool: Pool, smtp: FakeSmtp, target: SmtpTarget
) -> None:
    await enqueue(pool, "thread-1/refused")
    smtp.refuse_next(1, code=554, stage="rcpt")

    assert await deliver_pending(pool, target) == (0, 1)
    await backoff_passes(pool)
    assert await deliver_pending(pool, target) == (0, 0)
    row = (await outbox(pool))["thread-1/refused"]
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "554" in row["last_error"]


async def test_an_unreachable_server_leaves_the_mail_pending(pool: Pool) -> None:
    await enqueue(pool, "thread-1/call-1")
    nowhere = SmtpTarget.from_url(f"smtp://127.0.0.1:{free_port()}", sender=SENDER)

    assert await deliver_pending(pool, nowhere) == (0, 1)

    row = (await outbox(pool))["thread-1/call-1"]
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"]


# Authentication


async def test_configured_credentials_are_used_to_authenticate(pool: Pool) -> None:
    with serve_fake_smtp(credentials=("mailer", "p@ss:w/rd%")) as smtp:
        target = SmtpTarget.from_url(smtp.url, sender=SENDER)
        assert (target.username, target.password) == ("mailer", "p@ss:w/rd%")
        await enqueue(pool, "thread-1/call-1")

        assert await deliver_pending(pool, target) == (1, 0)

    assert [m.authenticated_as for m in smtp.messages] == ["mailer"]
    assert smtp.failed_logins == []


@pytest.mark.parametrize("credentials", ["mailer:wrong-hunter2@", ""])
async def test_a_rejected_login_keeps_the_mail_pending_and_the_secret_out_of_the_row(
    pool: Pool, credentials: str
) -> None:
    with serve_fake_smtp(credentials=("mailer", "right-s3cret")) as smtp:
        target = SmtpTarget.from_url(f"smtp://{credentials}127.0.0.1:{smtp.port}", sender=SENDER)
        await enqueue(pool, "thread-1/call-1")

        assert await deliver_pending(pool, target) == (0, 1)

    assert smtp.messages == []
    row = (await outbox(pool))["thread-1/call-1"]
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"]
    for secret in ("hunter2", "s3cret"):
        assert secret not in row["last_error"]


# Configuration


def test_an_smtp_url_is_parsed_and_unquoted() -> None:
    target = SmtpTarget.from_url("smtp://user:p%40ss@host:2525", sender=SENDER)

    assert target == SmtpTarget(
        host="host",
        port=2525,
        username="user",
        password="p@ss",
        sender=SENDER,
        starttls=False,
    )
    plain = SmtpTarget.from_url("smtp+starttls://mail.example.test", sender=SENDER)
    assert (plain.host, plain.port, plain.username, plain.password) == (
        "mail.example.test",
        25,
        None,
        None,
    )
    assert plain.starttls


@pytest.mark.parametrize(
    "url",
    [
        "http://user:s3cret@host:2525",
        "smtps://user:s3cret@host:465",
        "mailto:user@host",
        "smtp://",
        "host:25",
    ],
)
def test_other_urls_are_rejected_with_the_expected_shape(url: str) -> None:
    with pytest.raises(ValueError, match=r"smtp://\[user:pass@\]host\[:port\]") as raised:
        SmtpTarget.from_url(url, sender=SENDER)
    assert "s3cret" not in str(raised.value)


# The fake server itself: the parts of SMTP the outbox does not reach through smtplib's defaults


def test_the_fake_server_speaks_auth_login_rset_and_noop() -> None:
    with (
        serve_fake_smtp(credentials=("mailer", "pw")) as smtp,
        smtplib.SMTP(smtp.host, smtp.port, timeout=5) as client,
    ):
        client.ehlo()
        assert client.has_extn("auth") and "LOGIN" in client.esmtp_features["auth"].split()
        assert client.mail(SENDER)[0] == 530  # unauthenticated
        client.user, client.password = "mailer", "pw"
        assert client.auth("LOGIN", client.auth_login)[0] == 235
        assert client.mail(SENDER)[0] == 250
        assert client.rcpt("dropped@customer.test")[0] == 250
        assert client.rset()[0] == 250
        assert client.noop()[0] == 250
        client.sendmail(SENDER, ["kept@customer.test"], b"Subject: hi\r\n\r\n.body\r\n")

    assert [(m.rcpt_to, m.body) for m in smtp.messages] == [((("kept@customer.test",)), ".body\n")]


# Known bugs in connectors/outbox.py (strict: these start failing once the bug is fixed)


async def test_a_message_with_a_line_break_in_a_header_does_not_stop_delivery(
    pool: Pool, smtp: FakeSmtp, target: SmtpTarget
) -> None:
    # The dunning tool writes the model's `invoice_ref` into the subject: refused at once.
    with pytest.raises(ValueError, match="line breaks"):
        await enqueue(pool, "thread-1/bad", subject="Payment failed for INV-1\nBcc: x@evil.test")
    # A row that got in some other way fails alone and blocks nothing.
    good = await enqueue(pool, "thread-1/good")
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO email_outbox (tenant_id, message_id, idempotency_key, recipient,"
            " subject, body, created_at, next_attempt_at)"
            " VALUES ('default', gen_random_uuid(), 'thread-1/bad', 'a@b.test',"
            " 'x' || chr(10) || 'Bcc: x@evil.test', 'b', now() - interval '1 hour',"
            " now() - interval '1 hour')"
        )
    assert good

    assert await deliver_pending(pool, target) == (1, 1)
    rows = await outbox(pool)
    assert rows["thread-1/good"]["status"] == "sent"
    assert rows["thread-1/bad"]["status"] != "sent" and rows["thread-1/bad"]["last_error"]
    assert len(smtp.messages) == 1


async def test_overlapping_deliveries_send_a_message_once(
    pool: Pool, smtp: FakeSmtp, target: SmtpTarget
) -> None:
    await enqueue(pool, "thread-1/call-1")
    hold = smtp.hold_next()
    first = asyncio.create_task(deliver_pending(pool, target))
    try:
        await asyncio.to_thread(hold.wait_arrived)
        second = await deliver_pending(pool, target)
    finally:
        hold.release()
        await first

    assert second == (0, 0)
    assert len(smtp.messages) == 1


async def test_the_message_id_of_a_tool_key_is_well_formed(
    pool: Pool, smtp: FakeSmtp, target: SmtpTarget
) -> None:
    await enqueue(pool, EVENT_KEY)
    assert await deliver_pending(pool, target) == (1, 0)

    (received,) = smtp.messages
    assert received.message["Message-ID"].defects == ()

"""Helpers the knowledge-base tests share: tenants, a tiny PDF writer, sample documents."""

from __future__ import annotations

from pathlib import Path

from runtime.database import Pool

RETURNS_MD = """---
title: Returns and exchanges
---
# Returns

Unused items can be returned within 30 days of delivery for a full refund.

## Damaged items

If an item arrived damaged, send a photo of the damage within 14 days and we replace it
or refund it, including shipping. Keep the packaging until the claim is closed.

## Exchanges

Exchanges for another size or colour are free once per order.
"""

SHIPPING_HTML = """<!doctype html>
<html><head><title>Shipping</title><script>var tracking = "ignored";</script></head>
<body><nav>Home | Help</nav><main>
<h1>Shipping</h1>
<p>Orders ship from our warehouse within two business days.</p>
<h2>Carriers</h2>
<p>We ship with <b>DHL</b> and UPS; the tracking number arrives by email.</p>
<h2>International</h2>
<p>International parcels may owe customs duties, paid by the recipient.</p>
</main></body></html>
"""


async def add_tenant(pool: Pool, tenant_id: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (tenant_id, f"KB tests {tenant_id}"),
        )


def pdf_bytes(pages: list[str], *, title: str = "") -> bytes:
    """A minimal PDF with one text page per entry (Helvetica, one line per text line)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * index for index in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, text in enumerate(pages):
        lines = []
        for line in text.splitlines():
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            lines.append(f"({escaped}) Tj T*")
        stream = ("BT /F1 11 Tf 14 TL 72 720 Td " + " ".join(lines) + " ET").encode("latin-1")
        contents = page_ids[index] + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % contents
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info_id = len(objects) + 1
    escaped_title = title.replace("(", "\\(").replace(")", "\\)")
    objects.append(f"<< /Title ({escaped_title}) >>".encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info_id,
        xref,
    )
    return bytes(out)


def write_sample_folder(folder: Path) -> Path:
    """returns.md, shipping.html, fraud.pdf and notes.txt in a nested folder."""
    (folder / "policies").mkdir(parents=True, exist_ok=True)
    (folder / "policies" / "returns.md").write_text(RETURNS_MD, encoding="utf-8")
    (folder / "shipping.html").write_text(SHIPPING_HTML, encoding="utf-8")
    (folder / "fraud.pdf").write_bytes(
        pdf_bytes(
            [
                "Fraud review\nOrders with a risk score of 70 or more wait for a reviewer.",
                "Chargebacks\nA disputed payment freezes refunds until the dispute closes.",
            ],
            title="Fraud review",
        )
    )
    (folder / "notes.txt").write_text("Support hours\nWe answer mail on weekdays.\n")
    (folder / "image.png").write_bytes(b"\x89PNG not a document")
    return folder

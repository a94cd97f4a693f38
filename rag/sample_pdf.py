"""The sample knowledge base's PDF page, written by a minimal PDF writer.

The sample KB ships one PDF so that `make demo` and the benchmark exercise the PDF path
without a document-generation dependency. `python -m rag.sample_pdf` rewrites it from
`STOCK_AND_REORDERS`; the output is deterministic (no timestamps), and a test checks the
shipped file matches.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

PDF_PATH = Path(__file__).resolve().parent / "sample_kb" / "operations" / "stock-and-reorders.pdf"

TITLE = "Stock and reorders"

STOCK_AND_REORDERS: tuple[tuple[str, str], ...] = (
    (
        "",
        "How the warehouse keeps products in stock, and when a purchase order needs a "
        "person's approval. For the operations and purchasing teams of Opsgraph Outfitters.",
    ),
    (
        "Reservations",
        "Stock is reserved for an order as soon as it is placed, before it ships, so the "
        "same unit is never sold twice. Cancelling the order, or rejecting its fulfillment, "
        "releases the reservation and the units become available again.",
    ),
    (
        "When a variant runs out",
        "When the store reports a variant out of stock, the procurement "
        "specialist reads how many units of each variant sold across the store's orders "
        "and proposes a reorder. Nothing is bought automatically: the proposal is recorded "
        "for the purchasing team.",
    ),
    (
        "How much to reorder",
        "The proposed quantity covers about eight weeks of sales: twice the units sold so "
        "far, and never fewer than the minimum order of 10 units. The unit cost is "
        "estimated at 60 percent of the selling price until the supplier confirms it.",
    ),
    (
        "Reorder budget approval",
        "A reorder whose budget (quantity times unit cost) is above 5,000 waits for a "
        "reviewer before it is recorded. Smaller reorders go straight to the purchasing "
        "team. A reviewer may edit the quantity down; the edited proposal is judged again.",
    ),
    (
        "Suppliers and lead times",
        "Most suppliers deliver within 10 working days of a confirmed purchase order; "
        "imported goods take 4 to 6 weeks. Mark a product as back-order on the storefront "
        "when the expected delivery is more than 2 weeks away.",
    ),
    (
        "Stock counts",
        "The warehouse counts every shelf once a quarter and fast-moving items every month. "
        "A difference of more than 2 percent between the count and the system is reported "
        "to the operations lead before the figures are corrected.",
    ),
)

PAGE_WIDTH, PAGE_HEIGHT = 595, 842
MARGIN, LEADING, WRAP = 56, 15, 88


def page_lines() -> list[tuple[str, str]]:
    """(font, text) lines of the page: title, then each section's heading and wrapped body."""
    lines = [("F2", TITLE), ("F1", "")]
    for heading, body in STOCK_AND_REORDERS:
        if heading:
            lines.append(("F2", heading))
        lines.extend(("F1", line) for line in textwrap.wrap(body, WRAP))
        lines.append(("F1", ""))
    return lines


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def content_stream() -> bytes:
    ops = ["BT", f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td", f"{LEADING} TL"]
    for font, text in page_lines():
        size = 14 if font == "F2" else 11
        ops.append(f"/{font} {size} Tf ({escape(text)}) Tj T*")
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def render_pdf() -> bytes:
    """A one-page PDF 1.4 with the two standard Helvetica fonts."""
    stream = content_stream()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({escape(TITLE)}) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def main() -> int:
    PDF_PATH.write_bytes(render_pdf())
    print(f"wrote {PDF_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

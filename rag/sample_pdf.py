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


def page_lines(heading: str, body: str) -> list[tuple[str, str]]:
    """(font, text) lines of one page: its heading (the title on the first page), then the
    body wrapped to the page's width."""
    return [
        ("F2", heading or TITLE),
        ("F1", ""),
        *(("F1", line) for line in textwrap.wrap(body, WRAP)),
    ]


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def content_stream(lines: list[tuple[str, str]]) -> bytes:
    ops = ["BT", f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td", f"{LEADING} TL"]
    for font, text in lines:
        size = 14 if font == "F2" else 11
        ops.append(f"/{font} {size} Tf ({escape(text)}) Tj T*")
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def render_pdf() -> bytes:
    """A PDF 1.4 with the standard Helvetica fonts, one page per section, and an outline
    (bookmarks): the title on the first page, each section's heading below it, the way a
    handbook exported from a word processor carries its headings."""
    pages = len(STOCK_AND_REORDERS)
    first_page, fonts, outline_root = 3, 3 + 2 * pages, 5 + 2 * pages
    top, first_child = outline_root + 1, outline_root + 2
    page_ids = [first_page + 2 * i for i in range(pages)]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R /Outlines %d 0 R /PageMode /UseOutlines >>"
        % outline_root,
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % page for page in page_ids), pages),
        fonts: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        fonts + 1: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold"
        b" /Encoding /WinAnsiEncoding >>",
        outline_root: b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count 1 >>" % (top, top),
    }
    for index, (heading, body) in enumerate(STOCK_AND_REORDERS):
        page = page_ids[index]
        stream = content_stream(page_lines(heading, body))
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 {fonts} 0 R /F2 {fonts + 1} 0 R >> >> "
            f"/Contents {page + 1} 0 R >>"
        ).encode()
        objects[page + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    children = [
        (heading, page_ids[i]) for i, (heading, _) in enumerate(STOCK_AND_REORDERS) if heading
    ]
    last_child = first_child + len(children) - 1
    objects[top] = (
        f"<< /Title ({escape(TITLE)}) /Parent {outline_root} 0 R /Dest [{page_ids[0]} 0 R /Fit] "
        f"/First {first_child} 0 R /Last {last_child} 0 R /Count {len(children)} >>"
    ).encode()
    for offset, (heading, page) in enumerate(children):
        number = first_child + offset
        siblings = (f" /Prev {number - 1} 0 R" if offset else "") + (
            f" /Next {number + 1} 0 R" if number < last_child else ""
        )
        objects[number] = (
            f"<< /Title ({escape(heading)}) /Parent {top} 0 R /Dest [{page} 0 R /Fit]{siblings} >>"
        ).encode()
    info = last_child + 1
    objects[info] = f"<< /Title ({escape(TITLE)}) >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number in range(1, info + 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (info + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (info + 1, info)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def main() -> int:
    PDF_PATH.write_bytes(render_pdf())
    print(f"wrote {PDF_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

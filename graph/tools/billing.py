"""Billing tools."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, Field

from connectors.billing import (
    is_paid,
    issue_invoice,
    mark_paid,
    schedule_retries,
    void_invoices,
)
from connectors.orders import get_order, save_order
from connectors.outbox import enqueue_email
from graph.tools.base import ToolEnv, effect_tool, pure_tool

CENT = Decimal("0.01")


class InvoiceLine(BaseModel):
    sku: str
    description: str = ""
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0)


class DraftInvoiceInput(BaseModel):
    """The order an invoice is drafted from."""

    order_id: str
    currency: str = Field(min_length=3, max_length=3)
    lines: list[InvoiceLine] = Field(min_length=1)
    tax_rate: Decimal = Field(default=Decimal("0"), ge=0, le=1)


def draft_invoice(**kwargs: Any) -> dict[str, Any]:
    """Draft an invoice for an order: lines, subtotal, tax and total."""
    invoice = DraftInvoiceInput(**kwargs)
    prices = [line.unit_price.quantize(CENT, rounding=ROUND_HALF_UP) for line in invoice.lines]
    amounts = [price * line.quantity for price, line in zip(prices, invoice.lines, strict=True)]
    lines = [
        {
            "sku": line.sku,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": str(price),
            "amount": str(amount),
        }
        for line, price, amount in zip(invoice.lines, prices, amounts, strict=True)
    ]
    subtotal = sum(amounts, Decimal("0"))
    tax = (subtotal * invoice.tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "order_id": invoice.order_id,
        "status": "draft",
        "currency": invoice.currency.upper(),
        "lines": lines,
        "subtotal": str(subtotal),
        "tax": str(tax),
        "total": str(subtotal + tax),
    }


draft_invoice_tool = pure_tool(
    draft_invoice,
    name="draft_invoice",
    description=draft_invoice.__doc__ or "",
    args_schema=DraftInvoiceInput,
)


class IssueInvoiceInput(BaseModel):
    """A drafted invoice (as draft_invoice returns it) to number and issue."""

    order_id: str
    currency: str = Field(min_length=3, max_length=3)
    lines: list[dict[str, Any]] = Field(min_length=1)
    subtotal: Decimal
    tax: Decimal
    total: Decimal


async def issue(env: ToolEnv, args: IssueInvoiceInput) -> dict[str, Any]:
    return await issue_invoice(
        env.conn, tenant_id=env.tenant_id, draft=args.model_dump(mode="json")
    )


issue_invoice_tool = effect_tool(
    name="issue_invoice",
    description="Give a drafted invoice the next invoice number and issue it (once per order).",
    args_schema=IssueInvoiceInput,
    body=issue,
)


class OrderInvoices(BaseModel):
    """The order whose invoices to void."""

    order_id: str


async def void(env: ToolEnv, args: OrderInvoices) -> dict[str, Any]:
    voided = await void_invoices(env.conn, tenant_id=env.tenant_id, order_id=args.order_id)
    return {"order_id": args.order_id, "voided": voided}


void_invoice_tool = effect_tool(
    name="void_invoice",
    description="Void the invoices issued for an order (undoes issue_invoice).",
    args_schema=OrderInvoices,
    body=void,
)


class FailedPayment(BaseModel):
    """A failed payment to chase."""

    invoice_ref: str
    email: str | None = None
    amount: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    failed_attempts: int = Field(default=1, ge=1)


async def dun(env: ToolEnv, args: FailedPayment) -> dict[str, Any]:
    if await is_paid(env.conn, tenant_id=env.tenant_id, invoice_ref=args.invoice_ref):
        return {"invoice_ref": args.invoice_ref, "retries": [], "notice": None, "paid": True}
    schedule = await schedule_retries(
        env.conn,
        tenant_id=env.tenant_id,
        invoice_ref=args.invoice_ref,
        failed_attempts=args.failed_attempts,
    )
    notified = None
    if args.email:
        next_try = schedule[0]["retry_at"][:10] if schedule else "soon"
        notified = await enqueue_email(
            env.conn,
            tenant_id=env.tenant_id,
            idempotency_key=env.idempotency_key,
            recipient=args.email,
            subject=f"Payment failed for {args.invoice_ref}",
            body=(
                f"We could not collect {args.amount:.2f} {args.currency.upper()}. "
                f"We will try again on {next_try}; please check your payment method."
            ),
        )
    return {
        "invoice_ref": args.invoice_ref,
        "retries": schedule,
        "notice": str(notified) if notified else None,
    }


schedule_payment_retries_tool = effect_tool(
    name="schedule_payment_retries",
    description="Schedule retries of a failed payment (1, 3, 7 days) and email a notice.",
    args_schema=FailedPayment,
    body=dun,
)


class RefundInput(BaseModel):
    """A refund of (part of) an order's payment, back to the method that paid."""

    order_id: str
    amount: float = Field(gt=0)


async def refund(env: ToolEnv, args: RefundInput) -> dict[str, Any] | str:
    order = await get_order(env.conn, tenant_id=env.tenant_id, order_id=args.order_id, lock=True)
    if order is None:
        return "Error: order not found"
    history = order.get("payment_history", [])
    paid = sum(p["amount"] for p in history if p["transaction_type"] == "payment")
    refunded = sum(p["amount"] for p in history if p["transaction_type"] == "refund")
    if args.amount > round(paid - refunded, 2):
        return f"Error: refund {args.amount:.2f} exceeds the {paid - refunded:.2f} left to refund"
    payments = [p for p in history if p["transaction_type"] == "payment"]
    if not payments:
        return "Error: order has no payment to refund"
    method = payments[0]["payment_method_id"]
    history.append(
        {"transaction_type": "refund", "amount": args.amount, "payment_method_id": method}
    )
    await save_order(env.conn, tenant_id=env.tenant_id, order=order)
    return {"order_id": args.order_id, "refunded": args.amount, "payment_method_id": method}


refund_payment_tool = effect_tool(
    name="refund_payment",
    description="Refund an amount of an order to its original payment method.",
    args_schema=RefundInput,
    body=refund,
)


class InvoicePayment(BaseModel):
    """A payment the billing platform collected for an invoice."""

    invoice_ref: str = Field(min_length=1)
    order_id: str | None = None
    paid_amount: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)


async def settle(env: ToolEnv, args: InvoicePayment) -> dict[str, Any]:
    return await mark_paid(
        env.conn,
        tenant_id=env.tenant_id,
        invoice_ref=args.invoice_ref,
        order_id=args.order_id,
        amount=args.paid_amount,
        currency=args.currency.upper() if args.currency else None,
    )


mark_invoice_paid_tool = effect_tool(
    name="mark_invoice_paid",
    description=(
        "Record an invoice's payment: our invoice (by number or the order's) is marked paid "
        "and its scheduled payment retries are cancelled."
    ),
    args_schema=InvoicePayment,
    body=settle,
)

BILLING_TOOLS = (
    draft_invoice_tool,
    issue_invoice_tool,
    void_invoice_tool,
    schedule_payment_retries_tool,
    refund_payment_tool,
    mark_invoice_paid_tool,
)

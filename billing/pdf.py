"""Invoices and receipts as PDF: the printable pages, rendered on the server by WeasyPrint.

WeasyPrint fetches what a page links to. Here it reads the project's own static files and `data:` URLs and
nothing else: a page rendered on the server must never make the server reach the network (or read other files).
"""

import mimetypes
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string

from billing import receipts
from billing.models import Invoice
from billing.receipts import Receipt

# Relative links resolve under this address; nothing is ever fetched from it (.invalid is never a real host).
BASE_URL = "https://pdf.invalid/"


def _static_file(name: str) -> str | None:
    found = finders.find(name)
    if found:
        return found
    if staticfiles_storage.exists(name):  # after collectstatic, under the hashed names the pages link to
        return staticfiles_storage.path(name)
    return None


def _fetch_local(url: str):
    """A static file as WeasyPrint's response, or ValueError (which it logs and skips) for anything else."""
    from weasyprint.urls import URLFetcherResponse

    static_url = "/" + settings.STATIC_URL.lstrip("/")
    path = urlsplit(url).path
    found = _static_file(path[len(static_url) :]) if url.startswith(BASE_URL) and path.startswith(static_url) else None
    if found is None:
        raise ValueError(f"Not fetched for a PDF: {url}")
    with open(found, "rb") as file:
        body = file.read()
    kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
    return URLFetcherResponse(url, body=body, headers={"Content-Type": kind})


def _fetcher():
    # weasyprint parses its own stylesheets on import: imported only in the processes that print.
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        """Static files and data: URLs only."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            return _fetch_local(url)

    return LocalFetcher()


def render_document(*, template: str, context: dict):
    """A template laid out as printed pages (WeasyPrint's Document): what render_pdf writes, and what tests read."""
    from weasyprint import HTML

    html = render_to_string(template, {**context, "for_pdf": True})
    return HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher(), media_type="print").render()


def render_pdf(*, template: str, context: dict) -> bytes:
    """A template rendered as a printed page, as PDF bytes."""
    return render_document(template=template, context=context).write_pdf()


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The printable invoice (billing/invoice_print.html) as a PDF."""
    return render_pdf(template="billing/invoice_print.html", context=invoice_context(invoice=invoice))


def invoice_context(*, invoice: Invoice) -> dict:
    """What the invoice's page, its printable copy and its PDF show: the lines with their refunds and credits."""
    money = receipts.invoice_money(invoice=invoice)
    return {"invoice": invoice, "payment": getattr(invoice, "payment", None), "money": money}


def receipt_context(*, receipt: Receipt) -> dict:
    return {"receipt": receipt, "payment": receipt.payment, "support_email": settings.SUPPORT_EMAIL}


def receipt_pdf(*, receipt: Receipt) -> bytes:
    """A paid charge's receipt: what was charged, refunded and credited, the card, HaulMatch's details."""
    return render_pdf(template="billing/receipt_print.html", context=receipt_context(receipt=receipt))


def invoice_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number}.pdf"


def receipt_filename(receipt: Receipt) -> str:
    return f"receipt-{receipt.number}.pdf"

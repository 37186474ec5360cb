"""What a PDF says: the text WeasyPrint laid out on its pages, read from the same Document the bytes are written from
(the suite has no PDF parser; the pages' text boxes are exactly what is drawn)."""

import re

from billing import pdf


def document_text(document) -> str:
    """The text of every page, in reading order, its whitespace collapsed."""
    from weasyprint.formatting_structure.boxes import TextBox

    words = [box.text for page in document.pages for box in page._page_box.descendants() if isinstance(box, TextBox)]
    return re.sub(r"\s+", " ", " ".join(words)).strip()


def pdf_text(*, template: str, context: dict) -> str:
    """The text of the PDF `template` renders to, after checking it writes out as one."""
    document = pdf.render_document(template=template, context=context)
    assert document.write_pdf().startswith(b"%PDF-")
    return document_text(document)


def receipt_text(receipt) -> str:
    return pdf_text(template="billing/receipt_print.html", context=pdf.receipt_context(receipt=receipt))


def invoice_text(invoice) -> str:
    return pdf_text(template="billing/invoice_print.html", context=pdf.invoice_context(invoice=invoice))

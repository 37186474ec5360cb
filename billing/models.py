"""Payments, invoices, the ledger and payouts arrive with the billing issue."""

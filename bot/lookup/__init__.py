"""The lookup: find the payment through the merchant API, decide, quote a date, open the case."""

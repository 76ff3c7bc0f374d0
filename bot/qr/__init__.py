"""QR codes that open the chat with a terminal (and, at the counter, a payment) already known."""

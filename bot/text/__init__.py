"""Text safety: redaction of card data, typed text, button payloads, language, formatting."""

"""The web gateway: the product's one public process (widget, chat socket, later QR and console)."""

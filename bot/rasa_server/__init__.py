"""What the rasa server loads from us: the tracker and lock stores, the action-response check, and
the kept-alive connections to the action server."""

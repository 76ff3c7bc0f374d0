"""What never ships: the sandbox merchant API, the harness that starts every server for the tests
and benchmarks, the faked clock they run under, a scripted client of the chat socket, and the
terminal chat. Nothing in `bot/` or `actions/` imports from here."""

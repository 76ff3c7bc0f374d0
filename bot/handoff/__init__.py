"""The hand-over to people: the service the actions call, the agent's summary, support hours, and
the operators' agents command (`python -m bot.handoff`)."""

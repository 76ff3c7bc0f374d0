"""Operators' commands for the support console (`python -m bot.support`)."""

"""Thin Rasa custom actions; the product's logic lives in bot/."""

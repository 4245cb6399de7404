"""Forwarding: outbox jobs delivered to police, fire and city channels."""

"""Persistence of alerts, their history and the forwarding outbox."""

"""Alerts: the model, and the manager that owns their lifecycle."""

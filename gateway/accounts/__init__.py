"""Operator accounts: passwords, sessions, API tokens, login throttling and the audit."""

"""Drills and maintenance: their config and the service that stores, audits and expires them."""

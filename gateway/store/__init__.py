"""The store: alerts with their history, the forwarding outbox, modes and held rule
conditions, behind the repository interfaces of `gateway.core.repositories`."""

"""The demo: the whole simulated school wired to a gateway (composition plus simulators)."""

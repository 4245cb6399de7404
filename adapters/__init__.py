"""Protocol adapters: each turns what its devices say into `gateway.core.events.Event`s."""

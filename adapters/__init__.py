"""Protocol adapters: each turns what its devices say into `gateway.events.Event`s."""

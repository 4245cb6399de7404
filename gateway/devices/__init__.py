"""Device state: last values, availability and heartbeat supervision."""

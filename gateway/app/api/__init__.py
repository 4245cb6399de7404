"""HTTP API: health, alerts, devices, operator actions and the live stream."""

"""Rules: turn events into alert specs. The engine never sends anything itself."""

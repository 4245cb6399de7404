"""Simulated devices and peers that speak the real protocols, for demos and tests."""

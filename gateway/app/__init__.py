"""Composition: the running gateway's wiring and lifecycle, its whole config, the API and
the web console. It may import every layer below it."""

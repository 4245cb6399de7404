"""Benchmarks: each prints its figures beside the raw limit measured in the same run."""

"""Tests of the camera analytics, the scene renderer and the evidence buffer."""

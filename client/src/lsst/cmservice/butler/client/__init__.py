"""Typed Python client for the CM Service Butler gateway."""

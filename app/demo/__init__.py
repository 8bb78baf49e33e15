"""Synthetic demo data: ``makker seed-demo`` and ``makker demo-up`` (``make run``)."""

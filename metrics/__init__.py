"""Metric definitions, rollups and dashboards. Reads every app; nothing imports it."""

"""Metric definitions, rollups and dashboards. Reads every app; nothing imports it."""

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        from cases import registry
        from metrics import hooks

        registry.after_status_change.append(hooks.after_status_change)

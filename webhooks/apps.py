from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # cases announces events (cases.registry.domain_events); webhooks listens.
        from cases import registry
        from webhooks.services import webhook_event_happened

        registry.domain_events.append(webhook_event_happened)

from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Task outbox"

    def ready(self) -> None:
        # Workers mark a message done when its task has run (see outbox.services).
        from outbox import signals  # noqa: F401

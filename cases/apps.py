from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        # The routing panel on the case page, through the same hook higher apps use.
        from cases import registry
        from cases.routing import routing_case_panel

        registry.case_panels.append(routing_case_panel)

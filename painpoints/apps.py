from django.apps import AppConfig


class PainpointsConfig(AppConfig):
    name = "painpoints"
    verbose_name = "Pain points and linked cases"

    def ready(self) -> None:
        # cases asks; painpoints answers (see cases/registry.py for every hook point).
        from cases import registry
        from painpoints.selectors import identifier_case_panel
        from painpoints.services import identifiers_from_message

        registry.case_panels.append(identifier_case_panel)
        registry.evidence_added.append(identifiers_from_message)

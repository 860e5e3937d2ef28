from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"

    def ready(self) -> None:
        # cases asks; knowledge answers (see cases/registry.py for every hook point).
        from cases import registry
        from knowledge.selectors import knowledge_case_panel, routing_training_gaps

        registry.routing_eligibility.append(routing_training_gaps)
        registry.case_panels.append(knowledge_case_panel)

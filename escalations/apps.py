from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalations"

    def ready(self) -> None:
        # cases asks; escalations answers (see cases/registry.py for every hook point).
        from cases import registry
        from escalations import hooks

        registry.close_checks.append(hooks.unanswered_escalation_blocks_close)
        registry.after_status_change.append(hooks.complete_accepted_escalations)
        registry.sla_breach_handlers.append(hooks.escalate_sla_breach)
        registry.visibility_grants.append(hooks.escalated_to_my_team)
        registry.case_panels.append(hooks.case_escalations_panel)

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"

    def ready(self) -> None:
        # cases asks; compliance answers (see cases/registry.py for every hook point).
        from cases import registry, routing
        from compliance.obligations import obligations_close_check
        from compliance.restricted import referral_case_panel, referral_close_check
        from compliance.selectors import open_flag_kinds
        from compliance.services import case_flags_panel, flag_close_check, flag_evidence_added

        registry.close_checks.append(flag_close_check)
        registry.close_checks.append(obligations_close_check)
        registry.close_checks.append(referral_close_check)
        registry.case_panels.append(referral_case_panel)
        registry.case_panels.append(case_flags_panel)
        registry.evidence_added.append(flag_evidence_added)
        routing.flag_kind_sources.append(open_flag_kinds)

from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit ledger's hash chain and report the first broken link."

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if report.first_broken_id is not None:
            raise CommandError(
                f"Audit chain broken at event {report.first_broken_id}: {report.problem} "
                f"({report.checked} events verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified."))

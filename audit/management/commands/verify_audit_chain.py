from audit.management.commands.audit_verify import Command as VerifyCommand


class Command(VerifyCommand):
    """``manage.py verify_audit_chain``: the name auditors are given for ``audit_verify``."""

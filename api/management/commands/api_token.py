"""Issue and revoke API tokens and create service accounts.

manage.py api_token issue <username> --name "helpdesk production" [--expires-days 365]
manage.py api_token revoke <prefix>
manage.py api_token service-account <username> --role agent --integration "Zendesk" --team manila-l1
manage.py api_token list [<username>]
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import ApiToken
from api.tokens import TokenError, service_account_create, token_issue, token_revoke
from people.models import Team, User


class Command(BaseCommand):
    help = "Issue or revoke API tokens; create service accounts for integrations."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="Issue a token (printed once).")
        issue.add_argument("username")
        issue.add_argument("--name", required=True)
        issue.add_argument("--expires-days", type=int)
        revoke = sub.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix")
        account = sub.add_parser("service-account", help="Create a service account (then issue it a token).")
        account.add_argument("username")
        account.add_argument("--role", required=True)
        account.add_argument("--integration", required=True)
        account.add_argument("--team", action="append", default=[], help="A team slug (repeatable).")
        account.add_argument("--contact", default="")
        listing = sub.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("username", nargs="?")

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except TokenError as exc:
            raise CommandError(exc.message) from exc

    def _issue(self, options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        days = options.get("expires_days")
        expires = timezone.now() + timedelta(days=days) if days else None
        issued = token_issue(actor=None, user=user, name=options["name"], expires_at=expires)
        self.stdout.write(issued.secret)

    def _revoke(self, options):
        matches = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
        if len(matches) != 1:
            raise CommandError(f"{len(matches)} live tokens have the prefix {options['prefix']!r}; need exactly one.")
        token_revoke(actor=None, token=matches[0])
        self.stdout.write(f"Revoked {matches[0]}.")

    def _service_account(self, options):
        teams = list(Team.objects.filter(slug__in=options["team"]))
        missing = set(options["team"]) - {team.slug for team in teams}
        if missing:
            raise CommandError(f"No team with slug {', '.join(sorted(missing))}.")
        account = service_account_create(
            actor=None,
            username=options["username"],
            role=options["role"],
            integration=options["integration"],
            teams=teams,
            contact=options["contact"],
        )
        self.stdout.write(
            f"Created {account}. Issue it a token with: manage.py api_token issue {account.user.username}"
        )

    def _list(self, options):
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if options.get("username"):
            tokens = tokens.filter(user__username=options["username"])
        for token in tokens:
            state = "revoked" if token.revoked_at else "live"
            self.stdout.write(
                f"{token.prefix}…\t{token.user.username}\t{token.name}\t{state}\tlast used {token.last_used_at}"
            )

"""Issues a court API token from the command line (the console's API tokens page does the same).

    python manage.py issue_api_token 京0105 "执行办案系统"

The plaintext is printed once; only its hash is stored.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lots import services
from lots.models import Court


class Command(BaseCommand):
    help = "Issues an API token for a court's integration; prints the plaintext once."

    def add_arguments(self, parser):
        parser.add_argument("court_code", help="the court's code, e.g. 京0105")
        parser.add_argument("name", help="what the token is for, e.g. 执行办案系统")

    def handle(self, *args, court_code, name, **options):
        court = Court.objects.filter(code=court_code).first()
        if court is None:
            raise CommandError(f"no court with code {court_code!r}")
        try:
            token, plaintext = services.issue_api_token(court, None, name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stderr.write(f"Token {token.prefix} for {court.name} ({token.name}); shown once, store it now:")
        self.stdout.write(plaintext)

"""Issues a verified party's query code from the command line (PD1; the console's party page does
the same). Lists the case's parties when no party is given.

    python manage.py issue_query_code "（2024）京0105执1236号"
    python manage.py issue_query_code "（2024）京0105执1236号" --party 12 --papers "营业执照副本"

The code is printed once; only its hash is stored. Signing in: /portal/ with the case number.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lots import portal
from lots.models import EnforcementCase
from lots.validators import normalise_case_number


class Command(BaseCommand):
    help = "Issues a query code to a verified party of a case (PD1); prints it once."

    def add_arguments(self, parser):
        parser.add_argument("case_number", help="e.g. （2024）京0105执1236号")
        parser.add_argument("--party", type=int, help="the party's id (omit to list the parties)")
        parser.add_argument("--papers", default="居民身份证", help="the identity papers checked")
        parser.add_argument("--authorisation", default="", help="the authorisation (agents, representatives)")
        parser.add_argument("--email", default="", help="optional email for notifications")

    def handle(self, *args, case_number, party, papers, authorisation, email, **options):
        case = EnforcementCase.objects.filter(number=normalise_case_number(case_number)).first()
        if case is None:
            raise CommandError(f"no case numbered {case_number!r}")
        if party is None:
            for row in case.parties.order_by("id"):
                refused = "; ".join(str(r) for r in portal.party_refusals(row))
                self.stdout.write(f"{row.id}\t{row.get_role_display()}\t{row.name}\t{refused}")
            return
        found = case.parties.filter(pk=party).first()
        if found is None:
            raise CommandError(f"party {party} is not a party of {case.number}")
        try:
            _, plain = portal.issue_query_code(found, None, papers=papers, authorisation=authorisation, email=email)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stderr.write(f"Query code for {found.name} in {case.number}; shown once:")
        self.stdout.write(plain)

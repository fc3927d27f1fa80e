"""PD4 (JLP 12): public listings about a closed case are shielded within 5 working days of closing.

The public site shields a closed case at once (`auctions.presenters.public_auctions`): the lot
page, the search results and the API drop it the moment the case is closed, well inside the
deadline `auctions.rules.shielding_deadline` sets. The notices feed follows the same line, so a
feed entry never links to a page that is gone. `overdue` is the check the law itself makes.
"""

from datetime import datetime

from django.db.models import Q

from auctions import rules
from lots.models import EnforcementCase


def shielded_q(case_path: str) -> Q:
    """Rows whose case (reached through `case_path`) is closed: shielded from the closing on."""
    return Q(**{f"{case_path}__status": EnforcementCase.Status.CLOSED})


def overdue(case: EnforcementCase, listed: bool, now: datetime) -> bool:
    """True when a closed case is still listed on or after its PD4 deadline: a breach of the rule."""
    if case.status != EnforcementCase.Status.CLOSED or case.closed_at is None or not listed:
        return False
    return rules.court_date(now) >= rules.shielding_deadline(rules.court_date(case.closed_at))

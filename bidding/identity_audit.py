"""Recording staff views of bidders' identities (PD1, AN5).

Every page or export that shows court staff (or the admin) a bidder's real name or ID number calls
`record_identity_views` with the bidders it shows, before it renders. The rows are append-only:
nothing in the application updates or deletes them.
"""

from collections.abc import Iterable

from auctions import clock

from .models import IdentityView


def record_identity_views(
    *, actor, subjects: Iterable, purpose: str, court=None, auction=None, path: str = ""
) -> list[IdentityView]:
    """One IdentityView per distinct bidder in `subjects` (users), all at one instant."""
    now = clock.now()
    seen, rows = set(), []
    for subject in subjects:
        if subject is None or subject.pk in seen:
            continue
        seen.add(subject.pk)
        rows.append(
            IdentityView(
                at=now, actor=actor, court=court, subject=subject, auction=auction, purpose=purpose, path=path[:300]
            )
        )
    # One INSERT, inside whatever transaction the caller is in (the admin's change view has one).
    return IdentityView.objects.bulk_create(rows) if rows else []

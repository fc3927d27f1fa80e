"""The court console's audit page: who at this court looked at which bidder's identity, when."""

from django.core.paginator import Paginator
from django.shortcuts import render

from lots.access import court_staff_required

from .models import IdentityView

PAGE_SIZE = 50


@court_staff_required
def identity_views(request):
    entries = (
        IdentityView.objects.filter(court=request.staff.court)
        .select_related("actor__court_staff", "subject__bidder", "auction__lot")
        .order_by("-at", "-pk")
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/audit.html", {"page": page})

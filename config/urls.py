from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from bidding import audit_views
from config import login, ops
from config.api import api

login.throttle_admin_login(admin.site)

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/login/", login.login, name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", api.urls),
    path("console/audit/", audit_views.identity_views, name="audit_identity_views"),
    path("console/", include("lots.urls")),
    path("portal/", include("lots.portal_urls")),
    path("payments/", include("payments.urls")),
    path("", include("notices.result_urls")),
    path("", include("bidding.urls")),
    path("", include("bidding.page_urls")),
    path("", include("notices.urls")),
    path("", include("auctions.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

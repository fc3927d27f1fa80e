"""The party portal at /portal/ (namespace "portal"): verified parties with case number and query code."""

from django.urls import path

from . import portal_views as views

app_name = "portal"

urlpatterns = [
    path("", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("cases/<int:case_id>/", views.case, name="case"),
    path("cases/<int:case_id>/messages/", views.case_messages, name="messages"),
]

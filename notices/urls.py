from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("auctions/<int:auction_id>/reminder/", views.subscribe, name="subscribe"),
    path("auctions/<int:auction_id>/reminder/cancel/", views.unsubscribe, name="unsubscribe"),
    path("notices/", views.public_notices, name="public"),
    path("notices/atom.xml", views.NoticeAtomFeed(), name="atom"),
]

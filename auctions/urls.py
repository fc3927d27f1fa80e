from django.urls import path

from . import courts, opendata, views

urlpatterns = [
    path("", views.home, name="home"),
    path("auctions/", views.auction_list, name="auction_list"),
    path("auctions/<int:auction_id>/", views.auction_detail, name="auction_detail"),
    path("auctions/<int:auction_id>/facts", views.auction_facts, name="auction_facts"),
    path("auctions/<int:auction_id>/announcement/", views.announcement, name="auction_announcement"),
    path("courts/", courts.court_list, name="court_list"),
    path("courts/<str:code>/", courts.court_page, name="court_page"),
    path("calendar/", courts.auction_calendar, name="auction_calendar"),
    path("open-data/", opendata.open_data_page, name="open_data"),
]

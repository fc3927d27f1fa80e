"""The court console at /console/ (namespace "console")."""

from django.urls import path

from auctions import console as steps

from . import console_parties, views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("welcome/", views.landing, name="landing"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/parties/", console_parties.case_parties, name="case_parties"),
    path("cases/<int:case_id>/parties/<int:party_id>/code/", console_parties.code_issue, name="code_issue"),
    path("cases/<int:case_id>/parties/<int:party_id>/end-agency/", console_parties.agency_end, name="agency_end"),
    path("cases/<int:case_id>/codes/<int:code_id>/revoke/", console_parties.code_revoke, name="code_revoke"),
    path("cases/<int:case_id>/measures/", console_parties.measure_add, name="measure_add"),
    path("cases/<int:case_id>/close/", console_parties.case_close, name="case_close"),
    path("cases/<int:case_id>/messages/", console_parties.case_messages, name="case_messages"),
    path("cases/<int:case_id>/messages/<int:party_id>/", console_parties.case_messages, name="case_thread"),
    path("messages/", console_parties.message_inbox, name="message_inbox"),
    path("lots/", views.lot_list, name="lot_list"),
    path("lots/new/", views.lot_create, name="lot_create"),
    path("lots/<int:lot_id>/", views.lot_detail, name="lot_detail"),
    path("lots/<int:lot_id>/edit/", views.lot_edit, name="lot_edit"),
    path("lots/<int:lot_id>/photos/", views.photo_upload, name="photo_upload"),
    path("lots/<int:lot_id>/documents/", views.document_upload, name="document_upload"),
    path("lots/<int:lot_id>/draw/", views.agency_draw, name="agency_draw"),
    path("lots/<int:lot_id>/reference-price/", views.reference_price, name="reference_price"),
    path("lots/<int:lot_id>/rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:auction_id>/", views.round_detail, name="round_detail"),
    path("rounds/<int:auction_id>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:auction_id>/confirm/", views.round_confirm, name="round_confirm"),
    path("rounds/<int:auction_id>/publish/", views.announcement_publish, name="announcement_publish"),
    path("rounds/<int:auction_id>/suspend/", views.round_suspend, name="round_suspend"),
    path("rounds/<int:auction_id>/resume/", views.round_resume, name="round_resume"),
    path("rounds/<int:auction_id>/amendments/", views.amendment_create, name="amendment_create"),
    path("rounds/<int:auction_id>/reauction/", steps.reauction, name="step_reauction"),
    path("rounds/<int:auction_id>/sale/", steps.sale, name="step_sale"),
    path("rounds/<int:auction_id>/satisfaction/", steps.satisfaction, name="step_satisfaction"),
    path("rounds/<int:auction_id>/withdraw/", steps.withdraw, name="step_withdraw"),
    path("cases/<int:case_id>/stop-lots/", steps.stop_lots, name="step_stop_lots"),
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

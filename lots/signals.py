"""Signals other apps listen to, so that lots/ needs to know nothing of them."""

from django.dispatch import Signal

# Sent once the transaction that appended a DisposalRecord has committed; keyword `record`.
# Receivers hand slow work (notifications, deliveries) to background tasks.
disposal_recorded = Signal()

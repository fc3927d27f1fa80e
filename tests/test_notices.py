"""Notifications (issue 6 item 6): every kind from its source, after commit, once per key, retried
by email with backoff, as each user chose; reminder subscriptions (设置提醒) and their timing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from auctions import clock, lifecycle
from auctions.models import Auction
from auctions.presenters import yuan
from lots.models import DisposalRecord, Party
from notices import services, tasks, timing, triggers
from notices.models import Kind, Notification, ReminderSubscription
from payments.models import Deposit
from tests import factories
from tests.test_bidding_support import NOW, bid, bidder, make_round
from tests.test_public_support import published_round

Email = Notification.Email


@pytest.fixture(autouse=True)
def _fresh_task_queue():
    """Retries wait in huey's in-memory schedule (immediate mode); none carries over."""
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Runs what a block schedules for after commit, as the real commit would."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner


def with_email(user, address=None):
    user.email = address or f"{user.username}@example.com"
    user.save(update_fields=["email"])
    return user


def notes(kind=None, **filters):
    queryset = Notification.objects.filter(**filters)
    if kind:
        queryset = queryset.filter(kind=kind)
    return list(queryset.order_by("id"))


def run_retries():
    """Runs the retries huey scheduled, as the worker would once their delay has passed."""
    far = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    ran = 0
    for task in HUEY.read_schedule(far):
        HUEY.execute(task, timestamp=far)
        ran += 1
    return ran


class FlakyBackend:
    """An email backend that fails its first `failures` sends, like an SMTP relay that is down."""

    failures = 1
    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise ConnectionRefusedError("SMTP relay unreachable")
        mail.outbox.extend(messages)
        return len(messages)


# --- Outbid (round events) ------------------------------------------------------------------------
def test_outbid_tells_the_previous_leader_once_in_the_site_and_by_email(lot, run_on_commit, mailoutbox):
    auction = make_round(lot)
    alice, dave = with_email(bidder(auction, "alice")), with_email(bidder(auction, "dave"))
    with run_on_commit():
        bid(alice, auction, "80000")
    assert notes(Kind.OUTBID) == []  # the first bid outbids nobody
    with run_on_commit():
        bid(dave, auction, "81000", at=NOW + timedelta(seconds=1))
    [note] = notes(Kind.OUTBID)
    assert note.user == alice and note.in_site and note.email == Email.SENT
    assert note.params["price"] == "¥81,000.00" and note.params["yours"] == "¥80,000.00"
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert "¥81,000.00" in mailoutbox[0].body and "dave" not in mailoutbox[0].body  # a code, never a name
    # The same trigger again (a retried task) finds the first notification.
    triggers.on_bid(auction.pk, 2)
    assert len(notes(Kind.OUTBID)) == 1 and len(mailoutbox) == 1


def test_the_sweep_catches_up_an_outbid_whose_task_was_lost(lot):
    """Bids placed here run no after-commit hooks (the test transaction never commits): as if the
    process ended before it enqueued the task."""
    auction = make_round(lot)
    alice, dave = bidder(auction, "alice"), bidder(auction, "dave")
    bid(alice, auction, "80000")
    bid(dave, auction, "81000", at=NOW + timedelta(seconds=1))
    assert notes(Kind.OUTBID) == []
    triggers.sweep(NOW + timing.OUTBID_LOOKBACK + timedelta(seconds=2))
    assert notes(Kind.OUTBID) == []  # older than the lookback: left alone
    triggers.sweep(NOW + timing.OUTBID_LOOKBACK + timedelta(seconds=1))
    [note] = notes(Kind.OUTBID)
    assert note.user == alice and note.key == f"outbid:{auction.pk}:2"
    triggers.sweep(NOW + timedelta(minutes=2))
    assert len(notes(Kind.OUTBID)) == 1


def test_receivers_hand_the_enqueue_to_a_background_thread(monkeypatch):
    """Off the bid path: the committing thread only puts the task on an in-process queue."""
    import threading

    from notices import receivers

    class Queue:
        immediate = False

    monkeypatch.setattr(receivers, "HUEY", Queue())
    ran = {}
    done = threading.Event()

    def task(*args):
        ran["args"], ran["thread"] = args, threading.current_thread().name
        done.set()

    receivers.enqueue_soon(task, 7, 2)
    assert done.wait(10)
    assert ran == {"args": (7, 2), "thread": "notice-enqueue"}


def test_outbid_notices_queued_together_become_one_task_whatever_their_rounds():
    from notices import receivers, tasks

    def other(*args):
        return args

    calls = [
        (other, (1,)),
        (tasks.notify_outbid, ((7, 2),)),
        (other, (2,)),
        (tasks.notify_outbid, ((8, 5),)),
        (tasks.notify_outbid, ((7, 3),)),
    ]
    assert receivers._merged(calls) == [
        (other, (1,)),
        (tasks.notify_outbid, ((7, 2), (8, 5), (7, 3))),
        (other, (2,)),
    ]
    assert receivers._merged([(other, (1,))]) == [(other, (1,))]


def test_one_outbid_task_for_several_bids_tells_each_outbid_bidder(lot):
    from notices import tasks

    auction = make_round(lot)
    alice, dave, erin = bidder(auction, "alice"), bidder(auction, "dave"), bidder(auction, "erin")
    bid(alice, auction, "80000")
    bid(dave, auction, "81000", at=NOW + timedelta(seconds=1))
    bid(erin, auction, "82000", at=NOW + timedelta(seconds=2))
    tasks.notify_outbid.call_local((auction.pk, 2), (auction.pk, 3))
    assert sorted((note.user.username, note.key) for note in notes(Kind.OUTBID)) == [
        (alice.username, f"outbid:{auction.pk}:2"),
        (dave.username, f"outbid:{auction.pk}:3"),
    ]


def test_a_rolled_back_change_notifies_nobody(lot, mailoutbox, run_on_commit):
    auction = make_round(lot)
    alice = with_email(bidder(auction, "alice"))
    with run_on_commit(), pytest.raises(RuntimeError), transaction.atomic():
        services.notify(Kind.OUTBID, "outbid:test", user=alice, auction=auction, lot="x")
        raise RuntimeError("the outer change failed")
    assert notes() == [] and mailoutbox == []


# --- Results, extensions, withdrawals (disposal records) ---------------------------------------------
def test_won_lost_and_balance_due_at_a_sold_close(lot, run_on_commit, mailoutbox):
    auction = make_round(lot)
    alice, dave = with_email(bidder(auction, "alice")), with_email(bidder(auction, "dave"))
    bid(alice, auction, "80000")
    bid(dave, auction, "85000", at=NOW + timedelta(seconds=1))
    with run_on_commit(), clock.frozen(auction.ends_at):
        assert lifecycle.do_close_auction(auction.pk) == "sold"
    [won] = notes(Kind.WON)
    assert won.user == dave and won.params["price"] == "¥85,000.00"
    [lost] = notes(Kind.LOST)
    assert lost.user == alice and lost.params["result"] == "sold"
    [due] = notes(Kind.BALANCE_DUE)
    settlement = Auction.objects.get(pk=auction.pk).settlement
    assert due.user == dave and due.params["balance"] == yuan(settlement.balance.amount)
    assert settlement.balance.amount == 85_000 - settlement.deposit_applied.amount  # ST2: the deposit counts
    assert {tuple(m.to) for m in mailoutbox} == {("alice@example.com",), ("dave@example.com",)}
    assert len(mailoutbox) == 3


def test_lost_at_a_failed_close_tells_each_registered_bidder(lot, run_on_commit):
    auction = make_round(lot)
    alice, bob = bidder(auction, "alice"), bidder(auction, "bob", secured=False)
    with run_on_commit(), clock.frozen(auction.ends_at):
        assert lifecycle.do_close_auction(auction.pk) == "failed"
    lost = notes(Kind.LOST)
    assert {n.user for n in lost} == {alice, bob} and {n.params["result"] for n in lost} == {"failed"}
    assert notes(Kind.WON) == []


def test_bi2_an_extension_tells_the_other_registered_bidders(lot, run_on_commit):
    auction = make_round(lot)
    alice, dave = bidder(auction, "alice"), bidder(auction, "dave")
    with run_on_commit():
        bid(alice, auction, "80000", at=auction.ends_at - timedelta(minutes=4))
    [extended] = notes(Kind.EXTENDED)
    assert extended.user == dave  # the bidder who extended it knows
    assert extended.email == Email.NONE  # extensions are off by email unless asked for


def test_fa5_a_withdrawal_tells_bidders_and_emails_a_party_with_an_address(lot, clerk, run_on_commit, mailoutbox):
    auction = make_round(lot)
    alice = bidder(auction, "alice")
    verified = {"verified_at": clock.now()}
    applicant = Party.objects.create(
        case=lot.case, role=Party.Role.APPLICANT, name="某银行", email="bank@example.com", **verified
    )
    Party.objects.create(case=lot.case, role=Party.Role.RESPONDENT, name="张某", email="debtor@example.com", **verified)
    Party.objects.create(case=lot.case, role=Party.Role.AGENT, name="李律师", **verified)  # no address: nothing to send
    Party.objects.create(  # an agency that ended hears nothing more (PD1)
        case=lot.case,
        role=Party.Role.AGENT,
        name="前代理人",
        email="former@example.com",
        agency_ended_at=clock.now(),
        **verified,
    )
    Party.objects.create(case=lot.case, role=Party.Role.AGENT, name="未核验", email="unverified@example.com")
    with run_on_commit():
        lifecycle.withdraw_round(auction.pk, clerk.user, "被执行人已履行全部债务")
    [lost] = notes(Kind.LOST)
    assert lost.user == alice and lost.params["result"] == "withdrawn"
    [step] = notes(Kind.CASE_STEP)
    assert step.party == applicant and not step.in_site and step.email == Email.SENT
    assert [m.to for m in mailoutbox] == [["bank@example.com"]]
    assert lot.case.number in mailoutbox[0].body and "撤回拍卖" in mailoutbox[0].body


def test_parties_hear_the_result_of_a_round(lot, run_on_commit, mailoutbox):
    auction = make_round(lot)
    Party.objects.create(
        case=lot.case, role=Party.Role.APPLICANT, name="某银行", email="bank@example.com", verified_at=clock.now()
    )
    alice = bidder(auction, "alice")
    bid(alice, auction, "80000")
    with run_on_commit(), clock.frozen(auction.ends_at):
        lifecycle.do_close_auction(auction.pk)
    [result] = notes(Kind.CASE_RESULT)
    assert result.params["price"] == "¥80,000.00"
    body = next(m.body for m in mailoutbox if m.to == ["bank@example.com"])
    assert "拍卖成交" in body and "¥80,000.00" in body and "艾丽丝" not in body


# --- The periodic sweep: registrations, deposits, reminders, balances ------------------------------------
def test_registration_and_deposit_secured_are_announced_once(live_auction, alice, bob):
    now = clock.now()
    triggers.sweep(now)
    assert {n.user for n in notes(Kind.REGISTERED)} == {alice, bob}
    [secured] = notes(Kind.DEPOSIT_SECURED)
    assert secured.user == alice and secured.params["amount"] == "¥10,000.00"
    triggers.sweep(now)  # the next run of the periodic task
    assert len(notes(Kind.REGISTERED)) == 2 and len(notes(Kind.DEPOSIT_SECURED)) == 1


def test_registration_and_deposit_through_the_services_are_announced(lot, charlie, mailoutbox, run_on_commit):
    from bidding.services import register_bidder
    from payments.services import pay_with_sandbox

    auction = live(lot)
    with_email(charlie)
    with run_on_commit():
        registration = register_bidder(charlie, auction.pk, accept_terms=True)
        deposit = pay_with_sandbox(registration.deposit.pk, charlie)
    assert deposit.status == Deposit.Status.SECURED
    with run_on_commit():
        assert triggers.sweep(clock.now()) == 2
    [registered] = notes(Kind.REGISTERED)
    assert registered.user == charlie and registered.params["code"] == registration.code
    [secured] = notes(Kind.DEPOSIT_SECURED)
    assert secured.user == charlie
    assert sorted(m.subject for m in mailoutbox) == ["保证金已冻结", "报名成功"]


def test_sweep_looks_back_one_day_and_no_further(live_auction, alice):
    registered_at = alice.registrations.get().terms_accepted_at
    triggers.sweep(registered_at + timing.SWEEP_LOOKBACK + timedelta(seconds=1))
    assert notes(Kind.REGISTERED) == []
    triggers.sweep(registered_at + timing.SWEEP_LOOKBACK)
    assert len(notes(Kind.REGISTERED)) == 1


def test_st2_a_released_deposit_is_announced_but_not_one_never_paid(live_auction, alice, bob):
    now = clock.now()
    Deposit.objects.filter(registration__user=alice).update(status=Deposit.Status.RELEASED, settled_at=now)
    Deposit.objects.filter(registration__user=bob).update(status=Deposit.Status.RELEASED, settled_at=now)
    triggers.sweep(now)
    [released] = notes(Kind.DEPOSIT_RELEASED)
    assert released.user == alice


def upcoming(lot, starts_in=timedelta(hours=3)):
    auction = published_round(lot, starts_in=starts_in)
    assert auction.status == Auction.Status.ANNOUNCED
    return auction


def live(lot):
    auction = published_round(lot)
    assert lifecycle.do_open_round(auction.pk)
    auction.refresh_from_db()
    return auction


def test_starting_soon_reaches_subscribers_and_registered_bidders_from_one_hour_before(lot, charlie):
    auction = upcoming(lot)
    services.subscribe_reminder(charlie, auction.pk)
    registered = factories.make_bidder("dave")
    factories.register(auction, registered, secured=True)
    factories.register(auction, charlie, secured=False)  # subscribed and registered: told once
    lead = timing.START_REMINDER_LEAD
    triggers.sweep(auction.starts_at - lead - timedelta(seconds=1))
    assert notes(Kind.STARTING_SOON) == []
    triggers.sweep(auction.starts_at - lead)
    assert {n.user for n in notes(Kind.STARTING_SOON)} == {charlie, registered}
    triggers.sweep(auction.starts_at - timedelta(seconds=1))
    assert len(notes(Kind.STARTING_SOON)) == 2


def test_a_sweep_that_finds_nothing_new_costs_a_few_queries(lot, django_assert_max_num_queries):
    auction = upcoming(lot)
    for n in range(8):
        services.subscribe_reminder(factories.make_bidder(f"fan{n}"), auction.pk)
    moment = auction.starts_at - timedelta(minutes=5)
    assert triggers.sweep(moment) == 8
    with django_assert_max_num_queries(14):  # not one per subscriber
        assert triggers.sweep(moment) == 0


def test_starting_soon_is_not_sent_once_bidding_has_started(lot, charlie):
    auction = upcoming(lot)
    services.subscribe_reminder(charlie, auction.pk)
    triggers.sweep(auction.starts_at)
    assert notes(Kind.STARTING_SOON) == []


def test_ending_soon_from_thirty_minutes_before_the_end_and_once_despite_extensions(lot, charlie):
    auction = live(lot)
    services.subscribe_reminder(charlie, auction.pk)
    lead = timing.END_REMINDER_LEAD
    triggers.sweep(auction.ends_at - lead - timedelta(seconds=1))
    assert notes(Kind.ENDING_SOON) == []
    triggers.sweep(auction.ends_at - lead)
    [note] = notes(Kind.ENDING_SOON)
    assert note.user == charlie and note.params["price"] == "¥80,000.00"
    Auction.objects.filter(pk=auction.pk).update(ends_at=auction.ends_at + timedelta(minutes=5))  # BI2
    triggers.sweep(auction.ends_at - timedelta(seconds=1))
    assert len(notes(Kind.ENDING_SOON)) == 1
    triggers.sweep(auction.ends_at + timedelta(minutes=5))  # the (extended) end itself: silent
    assert len(notes(Kind.ENDING_SOON)) == 1


@pytest.mark.parametrize(
    ("before_due", "stage"),
    [
        (timedelta(days=3, seconds=1), None),
        (timedelta(days=3), 3),
        (timedelta(days=1, seconds=1), 3),
        (timedelta(days=1), 1),
        (timedelta(seconds=1), 1),
        (timedelta(0), None),
    ],
)
def test_st3_balance_reminder_stages(before_due, stage):
    due = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    assert timing.balance_reminder_stage(due, due - before_due) == stage


def test_st3_balance_due_then_one_reminder_per_stage(lot, run_on_commit):
    auction = make_round(lot)
    alice = bidder(auction, "alice")
    bid(alice, auction, "80000")
    with run_on_commit(), clock.frozen(auction.ends_at):
        lifecycle.do_close_auction(auction.pk)
    settlement = auction.settlement
    due = settlement.balance_due_at
    for moment in (due - timedelta(days=4), due - timedelta(days=3), due - timedelta(days=2), due - timedelta(hours=2)):
        triggers.sweep(moment)
    assert len(notes(Kind.BALANCE_DUE)) == 1
    assert [n.key for n in notes(Kind.BALANCE_REMINDER)] == [
        f"balance_reminder:{settlement.pk}:3",
        f"balance_reminder:{settlement.pk}:1",
    ]
    triggers.sweep(due)
    assert len(notes(Kind.BALANCE_REMINDER)) == 2


def test_the_periodic_task_runs_the_sweep(live_auction, alice):
    tasks.sweep_notices.call_local()
    assert len(notes(Kind.REGISTERED)) == 1


# --- Email: after commit, retried with backoff, sent once ----------------------------------------------
def test_a_failing_email_backend_is_retried_and_the_email_sent_once(live_auction, alice, settings, run_on_commit):
    settings.EMAIL_BACKEND = "tests.test_notices.FlakyBackend"
    FlakyBackend.calls, FlakyBackend.failures = 0, 2
    mail.outbox = []
    with_email(alice)
    with run_on_commit():
        note = services.notify(Kind.WON, "won:test", user=alice, auction=live_auction, lot="x", price="¥1.00")
    note.refresh_from_db()
    assert note.email == Email.FAILED and note.email_attempts == 1 and "unreachable" in note.last_error
    [waiting] = HUEY.scheduled()
    assert waiting.eta >= datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=tasks.EMAIL_RETRY_DELAY - 1)
    assert run_retries() == 1  # the first retry, after its delay: fails again
    assert run_retries() == 1  # the second: sent
    note.refresh_from_db()
    assert note.email == Email.SENT and note.email_attempts == 3 and note.emailed_at is not None
    assert len(mail.outbox) == 1
    assert run_retries() == 0
    assert services.deliver_email(note.pk) is True  # a stray duplicate run sends nothing
    assert len(mail.outbox) == 1


def test_email_retries_back_off():
    task = tasks.send_notification_email.s(1)
    assert task.retries == tasks.EMAIL_RETRIES and task.retry_delay == tasks.EMAIL_RETRY_DELAY
    assert tasks.send_notification_email.task_class.default_retry_backoff == tasks.BACKOFF > 1


def test_no_email_without_an_address(live_auction, alice, mailoutbox, run_on_commit):
    with run_on_commit():
        note = services.notify(Kind.OUTBID, "outbid:x", user=alice, auction=live_auction, lot="x")
    assert note.email == Email.NONE and note.in_site and mailoutbox == []


def test_the_same_key_twice_writes_and_sends_once(live_auction, alice, mailoutbox, run_on_commit):
    with_email(alice)
    with run_on_commit():
        first = services.notify(Kind.WON, "won:dup", user=alice, auction=live_auction, lot="x")
        second = services.notify(Kind.WON, "won:dup", user=alice, auction=live_auction, lot="x")
    assert first.pk == second.pk and len(mailoutbox) == 1


# --- Preferences -----------------------------------------------------------------------------------
def test_preferences_choose_site_and_email_per_kind(live_auction, alice, mailoutbox, run_on_commit):
    with_email(alice)
    services.save_preferences(alice, site={"won", "lost", "extended"}, email={"lost", "extended"})
    with run_on_commit():
        outbid = services.notify(Kind.OUTBID, "k1", user=alice, auction=live_auction, lot="x")
        won = services.notify(Kind.WON, "k2", user=alice, auction=live_auction, lot="x")
        extended = services.notify(Kind.EXTENDED, "k3", user=alice, auction=live_auction, lot="x")
    assert (outbid.in_site, outbid.email) == (False, Email.NONE)
    assert (won.in_site, won.email) == (True, Email.NONE)
    extended.refresh_from_db()
    assert (extended.in_site, extended.email) == (True, Email.SENT)  # asked for, though off by default
    assert len(mailoutbox) == 1


def test_preferences_page_saves_the_choices(client, alice):
    client.force_login(alice)
    page = client.get(reverse("notices:preferences"))
    assert page.status_code == 200 and 'name="site_outbid"' in page.content.decode()
    assert 'name="site_outbid" id="id_site_outbid" checked' in page.content.decode()
    response = client.post(reverse("notices:preferences"), {"site_won": "on", "email_won": "on"})
    assert response.status_code == 302
    preference = services.preference_for(alice)
    assert not preference.wants_site("outbid") and preference.wants_site("won") and preference.wants_email("won")
    assert not preference.wants_email("lost")


def test_preferences_page_needs_a_sign_in(client):
    response = client.get(reverse("notices:preferences"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- The notifications page and the nav count ---------------------------------------------------------
def test_notifications_page_lists_newest_first_and_marks_read(client, live_auction, alice, charlie):
    services.notify(Kind.REGISTERED, "a", user=alice, auction=live_auction, lot="标的甲", round="一拍", code="A0001")
    services.notify(Kind.OUTBID, "b", user=alice, auction=live_auction, lot="标的甲", price="¥81,000.00", code="A0002")
    services.notify(Kind.OUTBID, "c", user=charlie, auction=live_auction, lot="别人的", price="¥1.00")
    client.force_login(alice)
    home = client.get("/").content.decode()
    assert 'data-unread-count="2"' in home
    page = client.get(reverse("notices:list")).content.decode()
    assert page.index("您的出价已被超越") < page.index("报名成功")
    assert "别人的" not in page and page.count('class="card notification') == 2
    assert "data-unread-count" not in client.get("/").content.decode()  # read now
    assert services.unread_count(alice) == 0


def test_notifications_page_needs_a_sign_in(client):
    response = client.get(reverse("notices:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Reminder subscriptions (设置提醒) ------------------------------------------------------------------
def test_subscribing_counts_and_a_second_time_changes_nothing(client, lot, charlie):
    live_auction = live(lot)
    client.force_login(charlie)
    url = reverse("notices:subscribe", args=[live_auction.pk])
    first = client.post(url, follow=True)
    assert first.redirect_chain[-1][0] == reverse("auction_detail", args=[live_auction.pk])
    assert "已设置提醒" in first.content.decode()
    again = client.post(url, follow=True).content.decode()
    assert "您已设置过提醒，无需重复设置。" in again
    assert ReminderSubscription.objects.filter(auction=live_auction).count() == 1
    assert services.reminder_count(live_auction.pk) == 1


def test_subscribing_to_an_ended_round_is_refused(client, lot, charlie):
    ended = published_round(lot, starts_in=timedelta(days=-3), duration=timedelta(days=2))
    Auction.objects.filter(pk=ended.pk).update(status=Auction.Status.SOLD, closed_at=clock.now())
    client.force_login(charlie)
    response = client.post(reverse("notices:subscribe", args=[ended.pk]), follow=True)
    assert "本场拍卖已结束，不能设置提醒" in response.content.decode()
    assert not ReminderSubscription.objects.exists()


def test_a_live_round_past_its_end_is_refused_too(lot, charlie):
    auction = live(lot)
    with clock.frozen(auction.ends_at), pytest.raises(services.ReminderError) as refused:
        services.subscribe_reminder(charlie, auction.pk)
    assert refused.value.code == "auction_ended"
    with clock.frozen(auction.ends_at - timedelta(microseconds=1)):
        assert services.subscribe_reminder(charlie, auction.pk).created


def test_anonymous_subscribing_goes_to_the_sign_in_and_back_to_the_lot(client, lot):
    live_auction = live(lot)
    response = client.post(reverse("notices:subscribe", args=[live_auction.pk]))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=%2Fauctions%2F{live_auction.pk}%2F"
    assert not ReminderSubscription.objects.exists()


def test_subscribe_bad_input(client, lot, charlie):
    draft = factories.make_auction(lot, status=Auction.Status.DRAFT)
    client.force_login(charlie)
    assert client.get(reverse("notices:subscribe", args=[draft.pk])).status_code == 405
    assert client.post(reverse("notices:subscribe", args=[draft.pk])).status_code == 404  # not public
    assert client.post(reverse("notices:subscribe", args=[999_999])).status_code == 404


def test_unsubscribing(client, lot, charlie):
    live_auction = live(lot)
    services.subscribe_reminder(charlie, live_auction.pk)
    client.force_login(charlie)
    response = client.post(reverse("notices:unsubscribe", args=[live_auction.pk]), follow=True)
    assert "已取消提醒。" in response.content.decode()
    assert services.reminder_count(live_auction.pk) == 0
    again = client.post(reverse("notices:unsubscribe", args=[live_auction.pk]), follow=True)
    assert "您没有设置这场拍卖的提醒。" in again.content.decode()


def test_reminder_box_shows_the_count_and_the_users_state(rf, lot, charlie):
    from django.contrib.auth.models import AnonymousUser
    from django.template import engines

    live_auction = live(lot)
    alice = factories.make_bidder("alice")
    services.subscribe_reminder(alice, live_auction.pk)
    template = engines["django"].from_string('{% include "notices/_reminder.html" %}')
    for user, offered in ((AnonymousUser(), True), (charlie, True), (alice, False)):
        request = rf.get("/")
        request.user = user
        html = template.render({"auction": live_auction, "request": request}, request)
        assert "<strong data-reminder-count>1</strong>" in html
        assert ("reminder-button" in html) is offered and ("取消提醒" in html) is not offered


def test_steps_bidders_need_not_hear_write_nothing(lot, charlie):
    """A disposal step that is neither a result, an extension nor a withdrawal tells bidders nothing."""
    auction = live(lot)
    services.subscribe_reminder(charlie, auction.pk)
    record = DisposalRecord.objects.create(
        case=lot.case, lot=lot, auction=auction, kind=DisposalRecord.Kind.ROUND_STARTED, at=NOW, actor_label="系统"
    )
    triggers.on_disposal(record.pk)
    assert notes() == []


def test_operators_read_notifications_in_the_admin_and_cannot_change_them(client, live_auction, alice):
    services.notify(Kind.OUTBID, "outbid:admin", user=alice, auction=live_auction, lot="x")
    admin_user = factories.User.objects.create_superuser("root", password="pw-root")
    client.force_login(admin_user)
    page = client.get(reverse("admin:notices_notification_changelist"))
    assert page.status_code == 200 and "outbid:admin" in page.content.decode()
    note = Notification.objects.get(key="outbid:admin")
    assert client.post(reverse("admin:notices_notification_delete", args=[note.pk]), {"post": "yes"}).status_code == 403
    assert Notification.objects.filter(pk=note.pk).exists()
    client.force_login(alice)
    assert client.get(reverse("admin:notices_notification_changelist")).status_code == 302

"""Turns generator results into numbers: merged histograms, throughput, and correctness checks
(every bid answered, acknowledged amounts rising with the event sequence, every event delivered
to every socket without gaps)."""

from collections import Counter

from bench import hist

# Refusals the protocol gives when concurrent bids overtake each other: correct, not errors.
CORRECT_REFUSALS = frozenset({"too_low", "already_leading"})


def bids(results: list[dict], strict: bool = True) -> dict:
    """Merged bid outcomes. `strict` (smoke runs) makes an unanswered bid a problem; a full run
    reports bids still queued at the time limit as a capacity figure instead."""
    errors: Counter = Counter()
    acks, t0, last_ack = [], None, 0.0
    for result in results:
        errors.update(result["errors"])
        acks += result["acks"]
        t0 = result["t0"] if t0 is None else min(t0, result["t0"])
        last_ack = max(last_ack, result["last_ack"])
    latency = hist.merge([r["latency"] for r in results])
    sent = sum(r["sent"] for r in results)
    refusals = sum(n for code, n in errors.items() if code in CORRECT_REFUSALS)
    problems = []
    unexpected = {code: n for code, n in errors.items() if code not in CORRECT_REFUSALS}
    if unexpected:
        problems.append(f"bids refused or failed unexpectedly: {unexpected}")
    unanswered = sum(r["unanswered"] for r in results)
    if unanswered and strict:
        problems.append(f"{unanswered} bids unanswered before the time limit")
    problems += _ack_order_problems(acks)
    elapsed = max(last_ack - t0, 1e-9) if acks else 0.0
    return {
        "sent": sent,
        "acked": len(acks),
        "refused": refusals,
        "errors": dict(errors),
        "unanswered": unanswered,
        "elapsed_s": elapsed,
        "acked_per_s": len(acks) / elapsed if acks else 0.0,
        "latency": latency,
        "ack_time": {(a, seq): when for a, seq, when, _ in acks},
        "final_seq": _final_seqs(acks),
        "problems": problems,
    }


def _final_seqs(acks) -> dict[int, int]:
    final: dict[int, int] = {}
    for auction_id, seq, _, _ in acks:
        final[auction_id] = max(final.get(auction_id, 0), seq)
    return final


def _ack_order_problems(acks) -> list[str]:
    """Acknowledged bids of one auction must have distinct event numbers and rise with them."""
    problems = []
    by_auction: dict[int, list] = {}
    for auction_id, seq, _, amount in acks:
        by_auction.setdefault(auction_id, []).append((seq, float(amount)))
    for auction_id, rows in by_auction.items():
        rows.sort()
        seqs = [seq for seq, _ in rows]
        if len(set(seqs)) != len(seqs):
            problems.append(f"auction {auction_id}: two acks carry the same event sequence number")
        if any(b[1] <= a[1] for a, b in zip(rows, rows[1:], strict=False)):
            problems.append(f"auction {auction_id}: acknowledged amounts do not rise with the sequence")
    return problems


def deliveries(results: list[dict], ack_time: dict, final: dict[int, int], strict: bool = True) -> dict:
    """Delivery latency from each bid's acknowledgement, and completeness up to `final` per auction.
    `strict` (smoke runs) makes a delivery still missing at the time limit a problem; in a full run
    a server behind its backlog shows as a FAIL verdict on the "delivered" row instead."""
    latency = hist.new()
    delivered_total = expected = gaps = sockets = snapshots = retries = frames = 0
    failed: Counter = Counter()
    first_recv, last_recv = None, 0.0
    for result in results:
        sockets += result["sockets"]
        snapshots += result["snapshots"]
        gaps += result["gaps"]
        retries += result["retries"]
        failed.update(result["failed"])
        if result["deliveries"]:
            first_recv = min(first_recv or result["first_recv"], result["first_recv"])
            last_recv = max(last_recv, result["last_recv"])
        delivered_total += result["deliveries"]
        frames += result["events_frames"]
        for auction_id, base, _ in result["base"].values():
            expected += max(final.get(auction_id, base) - base, 0)
        for auction_id, per_seq in result["recv"].items():
            for seq, times in per_seq.items():
                acked_at = ack_time.get((auction_id, seq))
                if acked_at is None:
                    continue
                for when in times:
                    hist.record_seconds(latency, when - acked_at)
    delivered = sum(
        len(times)
        for result in results
        for auction_id, per_seq in result["recv"].items()
        for seq, times in per_seq.items()
        if seq <= final.get(auction_id, 0)
    )
    problems = []
    if failed:
        problems.append(f"watcher connections failed: {dict(failed)}")
    if snapshots < sockets:
        problems.append(f"{sockets - snapshots} of {sockets} watchers got no snapshot")
    if gaps:
        problems.append(f"{gaps} sequence gaps seen by watchers")
    if delivered < expected and strict:
        problems.append(f"{expected - delivered} of {expected} deliveries missing")
    return {
        "sockets": sockets,
        "snapshots": snapshots,
        "expected": expected,
        "delivered": delivered,
        "deliveries_total": delivered_total,
        "frames": frames,
        "per_frame": delivered_total / frames if frames else None,
        "first_recv": first_recv,
        "last_recv": last_recv,
        "gaps": gaps,
        "retries": retries,
        "latency": latency,
        "problems": problems,
    }

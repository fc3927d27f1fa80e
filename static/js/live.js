/* Live bidding panel (templates/bidding/_live_panel.html); protocol: docs/websocket.md.
 *
 * State comes from the server only: a snapshot, then events numbered without gaps. Times are
 * server times; the client clock is used only to measure the offset to the server, re-measured on
 * every frame. Amounts stay decimal strings and are computed in integer cents, never floats.
 */
(function () {
  "use strict";

  var panel = document.getElementById("live-panel");
  if (!panel) return;

  var $ = function (role) { return panel.querySelector('[data-role="' + role + '"]'); };
  var T = JSON.parse($("strings").textContent);
  var data = panel.dataset;
  var LIVE_STATUSES = { announced: 1, live: 1 };
  var ENDED_STATUSES = { sold: 1, failed: 1, withdrawn: 1 };
  // Reasons in `me.reason` that follow from the round's state, which this page tracks itself; any
  // other reason (not registered, no deposit) needs the bidder to act elsewhere.
  var ROUND_REASONS = { auction_not_started: 1, already_leading: 1, auction_closed: 1, auction_suspended: 1 };
  var LOG_LIMIT = 50;
  var PING_MS = 25000;
  var ACK_TIMEOUT_MS = 10000;

  // ---- formatting --------------------------------------------------------------------------
  function fmt(key, params) {
    return (T[key] || "").replace(/\{(\w+)\}/g, function (m, name) {
      return params && params[name] !== undefined ? params[name] : m;
    });
  }
  function toCents(value) {
    var match = /^\s*(\d{1,13})(?:\.(\d{1,2}))?\s*$/.exec(String(value === null || value === undefined ? "" : value));
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }
  function centsToDecimal(cents) {
    var fraction = String(cents % 100);
    return Math.floor(cents / 100) + "." + (fraction.length < 2 ? "0" + fraction : fraction);
  }
  function money(value) {
    var cents = typeof value === "number" ? value : toCents(value);
    if (cents === null) return "—";
    var parts = centsToDecimal(cents).split(".");
    return "¥" + parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + parts[1];
  }
  var timeFormat = new Intl.DateTimeFormat(data.lang, {
    timeZone: data.tz, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  var dateParts = new Intl.DateTimeFormat("en-US", {
    timeZone: data.tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  /* 2026-11-24 12:55:22 in the site's time zone: the way the server writes times on the page. */
  function dateTime(iso) {
    var p = {};
    dateParts.formatToParts(new Date(iso)).forEach(function (part) { p[part.type] = part.value; });
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second;
  }
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function duration(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var days = Math.floor(s / 86400);
    var clock = pad(Math.floor(s / 3600) % 24) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    return days ? fmt("days", { n: days }) + " " + clock : clock;
  }
  function show(el, visible) { el.hidden = !visible; }

  // ---- state ---------------------------------------------------------------------------------
  var state = {
    auction: {
      status: data.status,
      starts_at: data.startsAt,
      ends_at: data.endsAt,
      starting_price: data.startingPrice,
      increment: data.increment,
      current_price: data.currentPrice || null,
      extension_count: parseInt($("extensions").textContent, 10) || 0,
      bid_count: parseInt($("bid-count").textContent, 10) || 0,
      leader_code: null,
    },
    bids: [],
    me: null,
    ready: false, // a snapshot has arrived
  };
  var lastSeq = null;
  var resyncing = false;
  var clockOffset = 0; // server time − client time, in ms
  var pending = null; // {id, amount, timer}
  var wasLeading = false;

  function syncClock(serverTime) {
    var t = Date.parse(serverTime);
    if (!isNaN(t)) clockOffset = t - Date.now();
  }
  function serverNow() { return Date.now() + clockOffset; }

  function minBidCents() {
    var a = state.auction;
    if (state.me && state.me.min_bid) return toCents(state.me.min_bid);
    return a.current_price ? toCents(a.current_price) + toCents(a.increment) : toCents(a.starting_price);
  }
  function biddingOpen() {
    var a = state.auction, now = serverNow();
    return !!LIVE_STATUSES[a.status] && now >= Date.parse(a.starts_at) && now < Date.parse(a.ends_at);
  }
  function myCode() { return state.me && state.me.code; }
  function mayBid(me) { return me.can_bid || !!ROUND_REASONS[me.reason]; }
  function iHaveBid() {
    var code = myCode();
    return !!code && state.bids.some(function (b) { return b.code === code; });
  }

  // ---- rendering -----------------------------------------------------------------------------
  function renderAuction() {
    var a = state.auction;
    var status = $("status");
    status.textContent = T["status_" + a.status] || a.status;
    status.setAttribute("data-status", a.status);
    var ended = !!ENDED_STATUSES[a.status];
    $("price-label").textContent = a.status === "sold" ? T.price_sold : a.current_price ? T.price_current : T.price_start;
    $("price").textContent = money(a.current_price || a.starting_price);
    var endsAt = $("ends-at");
    endsAt.setAttribute("datetime", a.ends_at);
    endsAt.textContent = dateTime(a.ends_at);
    $("extensions").textContent = a.extension_count;
    $("bid-count").textContent = a.bid_count;
    show($("extended"), a.extension_count > 0);

    var result = $("result");
    result.className = "live-result result-" + a.status;
    if (a.status === "sold") {
      var won = myCode() && a.leader_code === myCode();
      result.textContent = won
        ? fmt("result_won", { price: money(a.current_price) })
        : fmt("result_sold", { price: money(a.current_price), code: a.leader_code || "—" });
    } else if (a.status === "failed") {
      result.textContent = T.result_failed;
    } else if (a.status === "withdrawn") {
      result.textContent = T.result_withdrawn;
    } else if (a.status === "suspended") {
      result.textContent = T.suspended;
    }
    show(result, ended || a.status === "suspended");
    if (ended) show($("notice"), false);
    renderCountdown();
    syncPage();
  }

  function renderCountdown() {
    var a = state.auction, now = serverNow();
    var label = $("countdown-label"), out = $("countdown");
    show(label.parentNode, !ENDED_STATUSES[a.status]);
    if (!LIVE_STATUSES[a.status]) {
      label.textContent = T.to_end;
      out.textContent = "—";
      return;
    }
    var starts = Date.parse(a.starts_at), ends = Date.parse(a.ends_at);
    if (now < starts) {
      label.textContent = T.to_start;
      out.textContent = duration(starts - now);
    } else {
      label.textContent = T.to_end;
      out.textContent = now < ends ? duration(ends - now) : T.awaiting_result;
    }
  }

  function logRow(bid, leading) {
    var tr = document.createElement("tr");
    tr.className = leading ? "is-leading" : "";
    if (bid.code === myCode()) tr.className += " is-mine";
    [leading ? T.log_leading : T.log_out, bid.code, money(bid.amount), timeFormat.format(new Date(bid.received_at))]
      .forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i === 0) td.className = leading ? "tag-leading" : "tag-out";
        tr.appendChild(td);
      });
    return tr;
  }

  function renderLog() {
    var tbody = $("log");
    var unsold = state.auction.status === "failed" || state.auction.status === "withdrawn";
    var rows = state.bids.map(function (bid, i) { return logRow(bid, i === 0 && !unsold); });
    tbody.replaceChildren.apply(tbody, rows);
    $("log-empty").textContent = T.log_empty;
    show($("log-empty"), state.bids.length === 0);
  }

  function prependBid(bid) {
    state.bids.unshift(bid);
    if (state.bids.length > LOG_LIMIT) state.bids.length = LOG_LIMIT;
    var tbody = $("log");
    var previous = tbody.firstElementChild;
    if (previous) {
      previous.className = previous.className.replace("is-leading", "").trim();
      previous.firstChild.textContent = T.log_out;
      previous.firstChild.className = "tag-out";
    }
    tbody.insertBefore(logRow(bid, true), tbody.firstChild);
    while (tbody.children.length > LOG_LIMIT) tbody.removeChild(tbody.lastChild);
    show($("log-empty"), false);
    // Screen readers hear each new bid once, not the whole log whenever it is rebuilt.
    $("log-live").textContent = fmt("new_bid", { code: bid.code, amount: money(bid.amount) });
  }

  function link(href, text, primary) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (primary) a.className = "btn";
    return a;
  }

  function renderMe() {
    if (!state.ready) return;
    var box = $("me");
    if (state.me) box.replaceChildren.apply(box, meLines(state.me));
    else if (data.authenticated) box.replaceChildren(); // anonymous: the login call-to-action stays
    renderBidForm();
  }

  function standingOf(me) {
    var status = state.auction.status;
    if (status === "sold") return state.auction.leader_code === me.code ? "won" : "lost";
    if (status === "failed" || status === "withdrawn") return "ended";
    return me.leading ? "leading" : iHaveBid() ? "outbid" : "not_bid";
  }

  function meLines(me) {
    var lines = [];
    if (me.code) {
      var standing = standingOf(me);
      var line = document.createElement("p");
      line.className = "live-standing standing-" + standing;
      line.textContent = fmt("your_code", { code: me.code }) + " · " + T[standing];
      lines.push(line);
    }
    if (mayBid(me) || !LIVE_STATUSES[state.auction.status]) return lines;
    var reason = me.reason || "";
    var why = document.createElement("p");
    why.className = "live-cta";
    why.textContent = T["reason_" + reason] || reason;
    lines.push(why);
    if (reason === "not_authenticated") {
      lines.push(link(data.loginUrl, T.action_login, true), document.createTextNode(" "), link(data.signupUrl, T.action_signup));
    } else if (reason === "not_registered") {
      lines.push(link(data.registerUrl, T.action_register, true));
    } else if (reason === "deposit_missing") {
      lines.push(link(data.registerUrl, T.action_deposit, true));
    }
    return lines;
  }

  function renderBidForm() {
    var me = state.me, button = $("bid-btn");
    var usable = !!(me && mayBid(me) && LIVE_STATUSES[state.auction.status]);
    show($("bid-form"), usable);
    if (!usable) return;
    var min = minBidCents(), input = $("amount"), typed = toCents(input.value);
    // Raise a stale amount to the new minimum, but never rewrite what the bidder is typing.
    if (document.activeElement !== input && (typed === null || typed < min)) input.value = centsToDecimal(min);
    $("min-hint").textContent = fmt("min_hint", { min: money(min), inc: money(state.auction.increment) });
    var notYet = serverNow() < Date.parse(state.auction.starts_at);
    button.disabled = !biddingOpen() || !!pending || !!me.leading;
    button.textContent = pending ? T.bid_sending : notYet ? T.not_started : button.dataset.label;
  }

  function feedback(role, text) {
    var el = $(role);
    el.textContent = text;
    show(el, !!text);
  }
  function showError(text) {
    feedback("error", text);
    if (text) feedback("feedback", "");
  }
  function notice(text) {
    var el = $("notice");
    el.textContent = text;
    show(el, !!text);
    el.classList.remove("flash");
    void el.offsetWidth; // restart the highlight animation
    el.classList.add("flash");
  }

  /* The rest of the lot page marks the facts it shows with data-live="current_price|ends_at|
   * bid_count|extension_count|status", and its countdown with data-countdown-to (epoch ms): they
   * follow the round too, so no figure on the page goes stale. */
  function syncPage() {
    var a = state.auction;
    var values = {
      current_price: a.current_price ? money(a.current_price) : null,
      ends_at: dateTime(a.ends_at),
      bid_count: a.bid_count,
      extension_count: a.extension_count,
      status: T["status_" + a.status],
    };
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var value = values[el.getAttribute("data-live")];
      if (value !== null && value !== undefined) el.textContent = value;
    });
    if (serverNow() >= Date.parse(a.starts_at)) {
      document.querySelectorAll("[data-countdown-to]").forEach(function (el) {
        el.setAttribute("data-countdown-to", String(Date.parse(a.ends_at)));
      });
    }
  }

  function render() {
    renderAuction();
    renderLog();
    renderMe();
  }

  // ---- applying frames ---------------------------------------------------------------------
  function applySnapshot(msg) {
    state.auction = msg.auction;
    state.bids = (msg.bids || []).slice(0, LOG_LIMIT);
    state.me = msg.me || null;
    state.ready = true;
    lastSeq = msg.seq;
    resyncing = false;
    wasLeading = !!(state.me && state.me.leading);
    render();
  }

  /* Own standing after someone's bid; returns an alert when the bidder has just been outbid. */
  function updateMe(bidData) {
    var me = state.me;
    if (!me || !me.code) return "";
    me.leading = bidData.code === me.code;
    // A priority holder's minimum depends on the leader's rank, which only the server knows (BD5).
    if (me.priority_rank) requestResync();
    me.min_bid = centsToDecimal(toCents(bidData.current_price) + toCents(state.auction.increment));
    var outbid = wasLeading && !me.leading;
    wasLeading = me.leading;
    if (outbid) feedback("feedback", ""); // "bid accepted" no longer describes where they stand
    return outbid ? fmt("outbid_alert", { price: money(bidData.current_price) }) : "";
  }

  var eventHandlers = {
    bid: function (d) {
      var a = state.auction;
      a.current_price = d.current_price;
      a.ends_at = d.ends_at || a.ends_at;
      a.bid_count = d.bid_count;
      a.extension_count = d.extension_count;
      a.leader_code = d.code;
      if (a.status === "announced") a.status = "live";
      prependBid({ seq: d.seq, code: d.code, amount: d.amount, received_at: d.received_at });
      var alerts = [updateMe(d), d.extended ? extensionText() : ""];
      if (alerts[0] || alerts[1]) notice(alerts.join(" ").trim());
    },
    extended: function (d) {
      state.auction.ends_at = d.ends_at || state.auction.ends_at;
      if (d.extension_count !== undefined) state.auction.extension_count = d.extension_count;
      if (d.outage) { // FA7: the platform could not take bids; its published reason stays shown
        var text = outageText(d);
        feedback("outage", text);
        notice(text);
      } else {
        notice(extensionText());
      }
    },
    started: function (d) {
      state.auction.status = "live";
      if (d.ends_at) state.auction.ends_at = d.ends_at;
    },
    closed: function (d) {
      var a = state.auction;
      a.status = d.result === "sold" ? "sold" : "failed";
      if (d.price) a.current_price = d.price;
      a.leader_code = d.code || null;
    },
    suspended: function () { state.auction.status = "suspended"; },
    withdrawn: function () { state.auction.status = "withdrawn"; },
  };

  function extensionText() {
    var a = state.auction;
    return fmt("extended", { time: timeFormat.format(new Date(a.ends_at)), n: a.extension_count });
  }

  function outageText(d) {
    var o = d.outage;
    return fmt("outage_extended", {
      start: dateTime(o.started_at),
      end: timeFormat.format(new Date(o.ended_at)),
      cause: T["cause_" + o.cause] || o.cause,
      time: dateTime(d.ends_at),
    });
  }

  function applyEvent(msg) {
    if (lastSeq === null || msg.seq <= lastSeq) return; // before the snapshot, or already applied
    if (msg.seq > lastSeq + 1) { // a gap: the snapshot will contain what was missed
      requestResync();
      return;
    }
    lastSeq = msg.seq;
    var handler = eventHandlers[msg.kind];
    if (!handler) { // e.g. "resumed": the new end time and rights come with a fresh snapshot
      requestResync();
      return;
    }
    handler(msg.data || {});
    renderAuction();
    if (msg.kind !== "bid") renderLog();
    renderMe();
  }

  function applyAck(msg) {
    if (!pending || msg.client_bid_id !== pending.id) return;
    var amount = msg.bid ? msg.bid.amount : pending.amount;
    clearPending();
    showError("");
    feedback("feedback", fmt("bid_ok", { amount: money(amount) }));
    renderBidForm();
  }

  function applyError(msg) {
    if (msg.client_bid_id && pending && msg.client_bid_id !== pending.id) return;
    clearPending();
    var params = msg.data || {};
    if (params.minimum) params.minimum = money(params.minimum);
    // The page's own translation when it knows the code; the server's message names the rule already.
    if (T["err_" + msg.code]) {
      var text = fmt("err_" + msg.code, params);
      showError(msg.rule ? fmt("rule_message", { rule: msg.rule, message: text }) : text);
    } else {
      showError(msg.message || msg.code);
    }
    if (msg.code === "not_registered" || msg.code === "deposit_missing" || msg.code === "auction_closed") {
      requestResync();
    }
    renderBidForm();
  }

  function onFrame(msg) {
    // Events that were ready together come as one frame (docs/websocket.md, "events").
    if (msg.type === "events") { msg.events.forEach(onFrame); return; }
    if (msg.server_time) syncClock(msg.server_time);
    if (msg.type === "snapshot") applySnapshot(msg);
    else if (msg.type === "event") applyEvent(msg);
    else if (msg.type === "ack") applyAck(msg);
    else if (msg.type === "error") applyError(msg);
  }

  // ---- the socket ----------------------------------------------------------------------------
  var socket = null;
  var attempt = 0;
  var pingTimer = null;

  function send(obj) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }
  function requestResync() {
    if (resyncing) return;
    resyncing = send({ type: "resync" });
  }

  function banner(text) {
    var el = $("banner");
    el.textContent = text;
    show(el, !!text);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + data.wsPath + (lastSeq !== null ? "?since=" + lastSeq : "");
    socket = new WebSocket(url);
    socket.onopen = function () {
      attempt = 0;
      resyncing = false;
      banner("");
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, PING_MS);
    };
    socket.onmessage = function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      onFrame(msg);
    };
    socket.onclose = function () {
      clearInterval(pingTimer);
      socket = null;
      // Exponential backoff with jitter, so a restarted server is not hit by every client at once.
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      attempt += 1;
      banner(fmt("reconnecting", { s: Math.ceil(delay / 1000) }));
      setTimeout(connect, delay);
    };
  }

  // ---- bidding -------------------------------------------------------------------------------
  function newBidId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // RFC 4122 version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function clearPending() {
    if (pending) clearTimeout(pending.timer);
    pending = null;
  }

  function placeBid(amount) {
    var id = newBidId();
    pending = {
      id: id,
      amount: amount,
      timer: setTimeout(function () {
        clearPending();
        showError(T.bid_unconfirmed);
        renderBidForm();
      }, ACK_TIMEOUT_MS),
    };
    showError("");
    feedback("feedback", "");
    renderBidForm();
    var frame = { type: "bid", amount: amount, client_bid_id: id };
    if (!send(frame)) postBid(frame); // the socket is down: the HTTP endpoint takes the same bid
  }

  function postBid(frame) {
    var token = panel.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(data.bidUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(frame),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          var reply = body.error && typeof body.error === "object" ? body.error : body;
          var type = response.ok ? "ack" : "error";
          onFrame(Object.assign({ client_bid_id: frame.client_bid_id }, reply, { type: type }));
        });
      })
      .catch(function () { applyError({ client_bid_id: frame.client_bid_id, code: "network" }); });
  }

  function step(direction) {
    var input = $("amount"), inc = toCents(state.auction.increment), min = minBidCents();
    var current = toCents(input.value);
    if (current === null) current = min;
    input.value = centsToDecimal(Math.max(min, current + direction * inc));
    showError("");
  }

  $("minus").addEventListener("click", function () { step(-1); });
  $("plus").addEventListener("click", function () { step(1); });
  $("amount").addEventListener("keydown", function (event) {
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      event.preventDefault();
      step(event.key === "ArrowUp" ? 1 : -1);
    }
  });

  var dialog = $("dialog");
  $("bid-btn").dataset.label = $("bid-btn").textContent;
  $("bid-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var cents = toCents($("amount").value);
    if (cents === null || cents <= 0) {
      showError(T.err_invalid_input);
      $("amount").focus();
      return;
    }
    if (cents < minBidCents()) {
      showError(fmt("err_too_low", { minimum: money(minBidCents()) }));
      $("amount").focus();
      return;
    }
    dialog.dataset.amount = centsToDecimal(cents);
    $("confirm-text").textContent = fmt("confirm_text", { code: myCode() });
    $("confirm-amount").textContent = money(cents);
    dialog.returnValue = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", function () {
    if (dialog.returnValue === "confirm" && biddingOpen()) {
      placeBid(dialog.dataset.amount);
      $("amount").focus(); // the button is disabled until the answer comes
    } else {
      $("bid-btn").focus();
    }
  });

  // ---- clock and lifecycle -------------------------------------------------------------------
  function tick() {
    renderCountdown();
    if (state.me && mayBid(state.me)) renderBidForm(); // opens and closes the button on time
    setTimeout(tick, 1000 - (serverNow() % 1000) + 10); // on the server's second boundary
  }

  document.addEventListener("visibilitychange", function () {
    // Phones freeze timers in the background: re-measure the clock when the page is seen again.
    if (document.visibilityState === "visible") send({ type: "ping" });
  });

  renderAuction();
  connect();
  tick();
})();

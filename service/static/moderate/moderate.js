// Moderator page: keyboard shortcuts and in-place decisions on top of plain forms.
// Every form works without this script; with it, decisions post in the background
// and the next comment takes focus. Comment text is never inserted from JSON:
// only server-rendered (escaped) HTML fragments are put into the page.
// (form.action is not used: the buttons named "action" shadow it.)
(function () {
  "use strict";

  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const cards = () => Array.from(document.querySelectorAll(".comment:not(.done)"));
  let current = null;
  let toastTimer = null;

  function toast(message, isError) {
    const el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.classList.toggle("error", !!isError);
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, isError ? 6000 : 2500);
  }

  function setCurrent(card, scroll) {
    if (current) current.classList.remove("current");
    current = card || null;
    if (!current) return;
    current.classList.add("current");
    current.focus({ preventScroll: true });
    if (scroll !== false) current.scrollIntoView({ block: "nearest", behavior: "instant" });
  }

  function move(step) {
    const list = cards();
    if (!list.length) return;
    const i = list.indexOf(current);
    const next = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + step));
    setCurrent(list[next]);
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf() },
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (response.status === 401) {
      window.location.assign("/moderate/login?next=" + encodeURIComponent(location.pathname + location.search));
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  // live: the comment left the queue by someone else's hand (no reload when the list empties;
  // the live queue brings what comes next).
  function finish(card, live) {
    const list = cards();
    const i = list.indexOf(card);
    card.classList.add("done");
    card.querySelectorAll("button, input, select").forEach((el) => { el.disabled = true; });
    const checkbox = card.querySelector('input[name="ids"]');
    if (checkbox) checkbox.checked = false;
    const rest = cards();
    if (current === card) setCurrent(rest[Math.min(i, rest.length - 1)] || null, !live);
    setTimeout(() => {
      card.remove();
      updateBulk();
      if (!cards().length) {
        if (live || liveOn()) showEmpty();
        else location.reload();
      }
    }, 250);
    updateBulk();
  }

  async function decide(card, action) {
    if (!card || card.classList.contains("done") || card.classList.contains("locked")) return;
    const form = card.querySelector("form.decide");
    if (!form) return;  // notice and appeal cards are decided with their own forms
    const body = new FormData(form);
    body.set("action", action);
    card.setAttribute("aria-busy", "true");
    const result = await post(form.getAttribute("action"), body);
    card.removeAttribute("aria-busy");
    if (result.ok) {
      toast(action === "approve" ? "Approved." : "Rejected (" + body.get("reason_code") + ").");
      finish(card);
    } else {
      if (result.status === 409) card.classList.add("locked");
      toast(result.data.message || "That did not work; reload the page.", true);
    }
  }

  function updateBulk() {
    const bar = document.getElementById("bulk");
    if (!bar) return;
    const picked = document.querySelectorAll('.comment:not(.done) input[name="ids"]:checked');
    bar.querySelector(".selected-count").textContent = picked.length + " selected";
    bar.classList.toggle("active", picked.length > 0);
    bar.querySelectorAll("button[name=action]").forEach((b) => { b.disabled = picked.length === 0; });
    document.querySelectorAll(".comment").forEach((card) => {
      const box = card.querySelector('input[name="ids"]');
      card.classList.toggle("selected", !!(box && box.checked));
    });
  }

  function toggleSelect(card) {
    const box = card && card.querySelector('input[name="ids"]');
    if (!box || box.disabled) return;
    box.checked = !box.checked;
    updateBulk();
  }

  async function bulk(form, action) {
    const body = new FormData(form);
    body.set("action", action);
    const result = await post(form.getAttribute("action"), body);
    if (!result.ok) { toast(result.data.message || "That did not work; reload the page.", true); return; }
    const failed = Object.keys(result.data.failed || {});
    (result.data.decided || []).forEach((id) => {
      const card = document.getElementById("c-" + id);
      if (card) finish(card);
    });
    failed.forEach((id) => {
      const card = document.getElementById("c-" + id);
      if (card) card.classList.add("locked");
    });
    toast((action === "approve" ? "Approved " : "Rejected ") + (result.data.decided || []).length +
          (failed.length ? "; " + failed.length + " left unchanged (claimed by a colleague or gone)." : "."),
          failed.length > 0);
  }

  async function toggleHistory(card) {
    if (!card) return;
    const panel = card.querySelector(".history-panel");
    if (!panel.hidden) { panel.hidden = true; return; }
    const link = card.querySelector(".history-link");
    const response = await fetch(link.dataset.fragment, { credentials: "same-origin" });
    if (!response.ok) { toast("Could not load the history.", true); return; }
    // A server-rendered fragment: every comment-derived value in it is already escaped.
    panel.innerHTML = await response.text();
    panel.hidden = false;
  }

  // The page claims what it shows with a POST as soon as it loads (a plain GET never
  // claims: a link on another site must not claim comments for a signed-in moderator).
  // Claims lapse after CLAIM_SECONDS; renew them at half that while the moderator is
  // active, so an abandoned tab does not keep comments from colleagues.
  let activeSinceRenewal = false;
  async function claimShown(queue, quiet) {
    const body = new FormData();
    body.set("csrf_token", csrf());
    const shown = cards().filter((card) => !card.classList.contains("locked"));
    if (!shown.length) return;
    shown.forEach((card) => body.append("ids", card.dataset.id));
    const result = await post(queue.dataset.claims, body);
    if (!result.ok) return;
    (result.data.lost || []).forEach((id) => {
      const card = document.getElementById("c-" + id);
      if (card && !card.classList.contains("locked")) {
        card.classList.add("locked");
        card.querySelectorAll("button, input").forEach((el) => { el.disabled = true; });
        if (!quiet) toast("A colleague has taken or decided a comment on this page; it is greyed out.", true);
      }
    });
    document.body.dataset.claimed = "1";  // for tests and tools: the page's claims are in
  }
  function startClaimRenewal() {
    const queue = document.querySelector(".queue[data-claims]");
    if (!queue) return;
    claimShown(queue, true);
    ["keydown", "click", "scroll"].forEach((kind) =>
      document.addEventListener(kind, () => { activeSinceRenewal = true; }, { passive: true }));
    setInterval(async () => {
      if (!activeSinceRenewal) return;
      activeSinceRenewal = false;
      claimShown(queue, false);
    }, Number(queue.dataset.renewSeconds) * 1000);
  }

  // One card's own handlers: the page's cards as it loads, and cards the live queue adds.
  function bindCard(card) {
    const form = card.querySelector("form.decide");
    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        setCurrent(card, false);
        decide(card, event.submitter ? event.submitter.value : "reject");
      });
    }
    const link = card.querySelector(".history-link");
    if (link) {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        toggleHistory(card);
      });
    }
    card.addEventListener("click", () => { if (current !== card) setCurrent(card, false); });
  }

  // The live queue: a light poll every few seconds (no connection held open, so it works
  // behind gunicorn's sync workers). New held comments come as server-rendered (escaped)
  // cards and are inserted in queue order; comments a colleague decided leave the list;
  // the count badges and the tab's title follow. Paused while the tab is hidden.
  let polling = false;
  const baseTitle = document.title;
  function showEmpty() {
    const empty = document.querySelector("[data-testid=empty]");
    if (empty) empty.hidden = cards().length > 0;
  }
  async function poll(queue) {
    if (polling || document.hidden) return;
    polling = true;
    try {
      const url = new URL(queue.dataset.live, location.href);
      url.searchParams.set("shown", cards().map((c) => c.dataset.id).join(","));
      url.searchParams.set("here", queue.dataset.here || "");
      if (queue.dataset.paged) url.searchParams.set("paged", "1");
      const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (response.status === 401) { location.assign("/moderate/login"); return; }
      if (!response.ok) return;
      const data = await response.json();
      const counts = document.querySelector("[data-testid=counts]");
      // A server-rendered fragment: every value in it is escaped.
      if (counts && typeof data.counts_html === "string") counts.innerHTML = data.counts_html;
      document.title = (data.total ? "(" + data.total + ") " : "") + baseTitle;
      (data.gone || []).forEach((id) => {
        const card = document.getElementById("c-" + id);
        if (card && !card.classList.contains("done")) {
          finish(card, true);
        }
      });
      const added = [];
      (data.cards || []).forEach((item) => {
        if (document.getElementById("c-" + item.id)) return;
        const holder = document.createElement("div");
        holder.innerHTML = item.html;  // server-rendered card: comment text escaped there
        const card = holder.firstElementChild;
        if (!card) return;
        const after = item.after && document.getElementById("c-" + item.after);
        if (after) after.after(card); else queue.prepend(card);
        bindCard(card);
        card.classList.add("arrived");
        added.push(card);
      });
      if (added.length) {
        if (!current) setCurrent(added[0], false);
        claimShown(queue, true);
        updateBulk();
      }
      showEmpty();
      document.body.dataset.polled = String(Number(document.body.dataset.polled || 0) + 1);
    } catch (e) {
      // A network hiccup: the next poll tries again.
    } finally {
      polling = false;
    }
  }
  function liveOn() {
    const queue = document.querySelector(".queue[data-live]");
    return !!queue && Number(queue.dataset.liveSeconds) > 0;
  }
  function startLive() {
    const queue = document.querySelector(".queue[data-live]");
    if (!liveOn()) return;
    const seconds = Number(queue.dataset.liveSeconds);
    setInterval(() => poll(queue), seconds * 1000);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(queue); });
  }

  function help(show) {
    const overlay = document.getElementById("help");
    if (!overlay) return;
    overlay.hidden = show === undefined ? !overlay.hidden : !show;
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".comment").forEach(bindCard);
    const bar = document.getElementById("bulk");
    if (bar) {
      bar.addEventListener("submit", (event) => {
        event.preventDefault();
        bulk(bar, event.submitter ? event.submitter.value : "reject");
      });
      const all = bar.querySelector('[data-action="select-all"]');
      all.addEventListener("change", () => {
        cards().forEach((card) => {
          const box = card.querySelector('input[name="ids"]');
          if (box && !box.disabled) box.checked = all.checked;
        });
        updateBulk();
      });
    }
    document.addEventListener("change", (event) => {
      if (event.target.name === "ids") updateBulk();
    });
    document.querySelectorAll('[data-action="help"]').forEach((b) => b.addEventListener("click", () => help(true)));
    document.querySelectorAll('[data-action="close-help"]').forEach((b) => b.addEventListener("click", () => help(false)));
    const help_overlay = document.getElementById("help");
    if (help_overlay) help_overlay.addEventListener("click", (e) => { if (e.target === help_overlay) help(false); });
    const first = cards()[0];
    if (first) setCurrent(first, false);
    updateBulk();
    startClaimRenewal();
    startLive();
    document.body.dataset.ready = "1";  // for tests and tools: shortcuts are live
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const overlay = document.getElementById("help");
    if (overlay && !overlay.hidden) {
      if (event.key === "Escape" || event.key === "?") { help(false); event.preventDefault(); }
      return;
    }
    const actions = {
      j: () => move(1),
      k: () => move(-1),
      a: () => decide(current, "approve"),
      r: () => decide(current, "reject"),
      x: () => toggleSelect(current),
      h: () => toggleHistory(current),
      "?": () => help(true),
    };
    const run = actions[event.key];
    if (run) { event.preventDefault(); run(); }
  });
})();

// harbot playground: the page's behaviour. The server draws every message (devtools/playground/render.py);
// this file sends what is typed and pressed, swaps in fresh HTML from a long poll, and shows <!date>
// times in the reader's own time zone, as Slack does. No dependencies, no build step.
"use strict";

(() => {
  const script = document.currentScript;
  let version = Number(script.dataset.version || "0");
  const box = document.getElementById("message");
  const form = document.getElementById("composer");
  const title = document.getElementById("title");
  const status = document.getElementById("status");
  const log = document.getElementById("log");
  const counts = {};
  let current = document.querySelector(".pane.active").dataset.channel;

  // ---------------------------------------------------------------------------------------------------
  // Dates: the same tokens as render.format_date, in the reader's zone.

  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

  function ordinal(day) {
    if (day % 100 >= 11 && day % 100 <= 13) return `${day}th`;
    return `${day}${{ 1: "st", 2: "nd", 3: "rd" }[day % 10] || "th"}`;
  }

  function clock(moment, seconds) {
    const hour = moment.getHours() % 12 || 12;
    const minutes = String(moment.getMinutes()).padStart(2, "0");
    const secs = seconds ? `:${String(moment.getSeconds()).padStart(2, "0")}` : "";
    return `${hour}:${minutes}${secs} ${moment.getHours() < 12 ? "AM" : "PM"}`;
  }

  function formatDate(seconds, format) {
    const moment = new Date(seconds * 1000);
    const today = new Date();
    const startOf = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    const days = Math.round((startOf(moment) - startOf(today)) / 86400000);
    const pretty = { "-1": "yesterday", 0: "today", 1: "tomorrow" }[days];
    const month = MONTHS[moment.getMonth()];
    const long = `${month} ${ordinal(moment.getDate())}, ${moment.getFullYear()}`;
    const short = `${month.slice(0, 3)} ${moment.getDate()}, ${moment.getFullYear()}`;
    const pad = (n) => String(n).padStart(2, "0");
    const values = {
      date_num: `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`,
      date: long,
      date_short: short,
      date_long: `${DAYS[moment.getDay()]}, ${long}`,
      date_pretty: pretty || long,
      date_short_pretty: pretty || short,
      date_long_pretty: pretty || `${DAYS[moment.getDay()]}, ${long}`,
      time: clock(moment, false),
      time_secs: clock(moment, true),
    };
    return format.replace(/\{(\w+)\}/g, (token, name) => (name in values ? values[name] : token));
  }

  function localize(root) {
    for (const element of root.querySelectorAll("time.bk-date[data-ts]")) {
      element.textContent = formatDate(Number(element.dataset.ts), element.dataset.format || "{time}");
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Conversations.

  function pane(channel) {
    return document.querySelector(`.pane[data-channel="${channel}"]`);
  }

  function navItem(channel) {
    return document.querySelector(`.nav-item[data-channel="${channel}"]`);
  }

  function select(channel) {
    if (!pane(channel)) return;
    const opened = channel === "home" && current !== "home";
    current = channel;
    form.hidden = channel === "home";
    if (opened) post("/playground/home", {}).then(fetchNow).then(apply).catch(() => {
      status.textContent = "The Home tab didn't open; try again.";
    });
    for (const element of document.querySelectorAll(".pane")) element.hidden = element.dataset.channel !== channel;
    for (const element of document.querySelectorAll(".pane")) element.classList.toggle("active", !element.hidden);
    for (const item of document.querySelectorAll(".nav-item")) item.classList.toggle("active", item.dataset.channel === channel);
    const item = navItem(channel);
    item.querySelector(".unread").hidden = true;
    title.textContent = item.dataset.title;
    box.placeholder = item.dataset.placeholder;
    if (channel === "home") pane(channel).scrollTop = 0;
    else scrollToEnd(pane(channel));
  }

  function scrollToEnd(element) {
    element.scrollTop = element.scrollHeight;
  }

  function apply(update) {
    if (update.version === version && Object.keys(counts).length) return;
    version = update.version;
    for (const [channel, html] of Object.entries(update.conversations)) {
      const element = pane(channel);
      if (!element || element.dataset.html === html) continue;
      const open = new Set([...element.querySelectorAll("details[open]")].map((d) => d.dataset.key));
      const nearEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 120;
      element.innerHTML = html;
      element.dataset.html = html;
      for (const details of element.querySelectorAll("details[data-key]")) {
        if (open.has(details.dataset.key)) details.open = true;
      }
      localize(element);
      if (nearEnd || channel === current) scrollToEnd(element);
      const count = update.counts[channel];
      if (channel !== current && counts[channel] !== undefined && count > counts[channel]) {
        navItem(channel).querySelector(".unread").hidden = false;
      }
      counts[channel] = count;
    }
    swap(pane("home"), update.home);
    const modal = document.getElementById("modal");
    swap(modal, update.modal);
    modal.hidden = !update.modal;
    log.innerHTML = update.log;
    localize(log);
  }

  function swap(element, html) {
    // A view is redrawn only when the app changed it: what is being typed in it stays otherwise.
    if (element.dataset.html === html) return;
    element.innerHTML = html;
    element.dataset.html = html;
    localize(element);
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async function poll() {
    let failures = 0;
    for (;;) {
      try {
        const response = await fetch(`/playground/updates?since=${version}`, { cache: "no-store" });
        if (!response.ok) throw new Error(String(response.status));
        apply(await response.json());
        failures = 0;
        status.textContent = "";
      } catch (error) {
        failures += 1;
        status.textContent = "The playground isn't answering: is `make run` still running?";
        await sleep(Math.min(500 * 2 ** failures, 10000));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Views: the Home tab and modals. The server builds what Slack sends; this says what was entered.

  function valueOf(element) {
    const kind = element.dataset.kind;
    if (kind === "external_select" || kind === "static_select") {
      if (element.tagName === "SELECT") return element.value ? { value: element.value, label: element.selectedOptions[0].textContent } : null;
      return element.dataset.value ? { value: element.dataset.value, label: element.dataset.label } : null;
    }
    if (kind === "checkboxes") return [...element.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
    return element.value === undefined ? null : element.value;
  }

  function valuesOf(view) {
    const values = {};
    for (const element of view.querySelectorAll(".bk-input-element")) {
      const value = valueOf(element);
      if (value === null) continue;
      (values[element.dataset.blockId] ||= {})[element.dataset.actionId] = value;
    }
    return values;
  }

  async function viewPost(path, body) {
    try {
      apply(await fetchNow(await post(path, body)));
    } catch (error) {
      status.textContent = "That didn't reach the app; try again.";
    }
  }

  function act(view, element, raw) {
    return viewPost("/playground/view/act", {
      view_id: view.dataset.viewId,
      block_id: element.dataset.blockId,
      action_id: element.dataset.actionId,
      values: valuesOf(view),
      raw: raw === undefined ? null : raw,
    });
  }

  const searches = new WeakMap();

  function search(select) {
    const view = select.closest("[data-view-id]");
    const input = select.querySelector(".bk-select-search");
    const list = select.querySelector(".bk-select-options");
    clearTimeout(searches.get(select));
    select.dataset.value = "";
    select.dataset.label = "";
    if (input.value.trim().length < Number(select.dataset.minQuery || "1")) {
      list.hidden = true;
      return;
    }
    searches.set(select, setTimeout(async () => {
      const typed = input.value;
      try {
        const result = await post("/playground/options", {
          view_id: view.dataset.viewId,
          block_id: select.dataset.blockId,
          action_id: select.dataset.actionId,
          value: typed,
        });
        if (input.value !== typed) return; // typed on since: a newer search is coming
        list.replaceChildren(...result.options.map((option) => {
          const item = document.createElement("li");
          item.className = "bk-select-option";
          item.setAttribute("role", "option");
          item.dataset.value = option.value;
          item.dataset.label = option.label;
          item.textContent = option.label;
          return item;
        }));
        if (!result.options.length) {
          const none = document.createElement("li");
          none.className = "bk-select-none";
          none.textContent = "No results";
          list.replaceChildren(none);
        }
        list.hidden = false;
      } catch (error) {
        status.textContent = "The search didn't answer; type again.";
      }
    }, 200));
  }

  function choose(option) {
    const select = option.closest(".bk-external-select");
    const view = select.closest("[data-view-id]");
    select.dataset.value = option.dataset.value;
    select.dataset.label = option.dataset.label;
    select.querySelector(".bk-select-search").value = option.dataset.label;
    select.querySelector(".bk-select-options").hidden = true;
    act(view, select, { value: option.dataset.value, label: option.dataset.label });
  }

  document.addEventListener("input", (event) => {
    const select = event.target.closest(".bk-external-select");
    if (select && event.target.classList.contains("bk-select-search")) search(select);
  });

  document.addEventListener("change", (event) => {
    const element = event.target.closest(".bk-input-element");
    const view = element && element.closest("[data-view-id]");
    if (!view || element.classList.contains("bk-external-select")) return;
    if (element.dataset.dispatch) act(view, element, valueOf(element));
  });

  function onViewClick(event) {
    const view = event.target.closest("[data-view-id]");
    if (!view) return false;
    const option = event.target.closest(".bk-select-option");
    if (option) {
      choose(option);
      return true;
    }
    const control = event.target.closest("[data-view-action]");
    if (control) {
      const path = control.dataset.viewAction === "submit" ? "/playground/view/submit" : "/playground/view/close";
      viewPost(path, { view_id: view.dataset.viewId, values: valuesOf(view) });
      return true;
    }
    const button = event.target.closest(".bk-button");
    if (!button || button.disabled) return false;
    if (button.tagName !== "A") event.preventDefault();
    act(view, button);
    return true;
  }

  function onShortcut(event) {
    const shortcut = event.target.closest(".shortcut");
    if (!shortcut) return false;
    const menu = shortcut.closest("details");
    if (menu) menu.open = false;
    const message = shortcut.closest(".msg");
    const body = { callback_id: shortcut.dataset.callbackId };
    if (message) Object.assign(body, { channel: message.dataset.channel, ts: message.dataset.ts });
    viewPost("/playground/shortcut", body);
    return true;
  }

  document.addEventListener("keydown", (event) => {
    const modal = document.getElementById("modal");
    const view = modal.querySelector("[data-view-id]");
    if (event.key === "Escape" && view && !modal.hidden) {
      viewPost("/playground/view/close", { view_id: view.dataset.viewId, values: {} });
    }
  });

  // ---------------------------------------------------------------------------------------------------
  // Typing and pressing.

  function autosize() {
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight, 160)}px`;
  }

  async function send() {
    const text = box.value.trim();
    if (!text) return;
    box.value = "";
    autosize();
    try {
      apply(await fetchNow(await post("/playground/send", { channel: current, text })));
    } catch (error) {
      status.textContent = "That message didn't go through; try again.";
    }
  }

  async function fetchNow(result) {
    // Draw at once what the send already changed, rather than wait for the long poll's turn.
    const response = await fetch(`/playground/updates?since=${result.version - 1}`, { cache: "no-store" });
    return response.json();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  box.addEventListener("input", autosize);

  document.addEventListener("click", (event) => {
    for (const list of document.querySelectorAll(".bk-select-options:not([hidden])")) {
      if (!list.parentElement.contains(event.target)) list.hidden = true;
    }
    if (onShortcut(event) || onViewClick(event)) return;
    const nav = event.target.closest(".nav-item");
    if (nav) {
      select(nav.dataset.channel);
      box.focus();
      return;
    }
    const chip = event.target.closest(".chip");
    if (chip) {
      select(chip.dataset.channel);
      box.value = chip.dataset.fill;
      autosize();
      box.focus();
      return;
    }
    const button = event.target.closest(".bk-button");
    const message = button && button.closest(".msg");
    if (!button || !message || button.disabled) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    // A link button opens its URL (the browser follows the <a>); every button also tells the app.
    if (button.tagName !== "A") event.preventDefault();
    button.classList.add("pressed");
    post("/playground/press", {
      channel: message.dataset.channel,
      ts: message.dataset.ts,
      block_id: button.dataset.blockId,
      action_id: button.dataset.actionId,
    }).catch(() => {
      status.textContent = "That button didn't work; try again.";
      button.classList.remove("pressed");
    });
  });

  const push = document.getElementById("push");
  if (push) {
    push.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = new FormData(push);
      try {
        const result = await post("/playground/push", {
          registry: fields.get("registry"),
          artifact: fields.get("artifact"),
          version: fields.get("version"),
          trigger: event.submitter ? event.submitter.value : "artifact_created",
        });
        status.textContent = result.delivered.length
          ? ""
          : "Nothing was delivered: subscribe a channel to this registry first.";
      } catch (error) {
        status.textContent = "That push didn't go through; try again.";
      }
    });
  }

  document.getElementById("clear").addEventListener("click", () => {
    post("/playground/clear", {}).catch(() => {});
  });

  for (const element of [pane("home"), document.getElementById("modal")]) element.dataset.html = element.innerHTML;
  for (const element of document.querySelectorAll(".pane")) {
    element.dataset.html = element.innerHTML;
    counts[element.dataset.channel] = element.querySelectorAll(".msg").length;
  }
  localize(document);
  box.focus();
  poll();
})();

// The dashboard page: snapshots from /api/*, live updates from /events (Server-Sent Events).
// Article text is data: it only ever reaches the DOM through textContent / createTextNode.
"use strict";

(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || "";
  const state = {
    source: params.get("source") || "",
    entity: params.get("entity") || "",
    newestQuote: 0,
    stream: null,
    refreshTimer: null,
  };
  const MAX_QUOTES = 100;
  const GROUPS = ["people", "organisations", "places"];
  const $ = (id) => document.getElementById(id);

  function query(extra) {
    const q = new URLSearchParams();
    if (state.source) q.set("source", state.source);
    if (state.entity) q.set("entity", state.entity);
    for (const [k, v] of Object.entries(extra || {})) q.set(k, String(v));
    return q;
  }

  async function getJSON(path, extra) {
    const headers = token ? { Authorization: "Bearer " + token } : {};
    const response = await fetch(path + "?" + query(extra), { headers, cache: "no-store" });
    if (!response.ok) throw new Error(path + " answered " + response.status);
    return response.json();
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function empty(list, what) {
    if (!list.children.length) list.append(el("li", what, "empty"));
  }

  function formatTime(iso) {
    const when = new Date(iso);
    return isNaN(when) ? String(iso || "") : when.toLocaleString();
  }

  function renderTrending(id, rows) {
    const list = $(id);
    list.replaceChildren();
    for (const row of rows) {
      const item = el("li");
      const name = el("button", row.name, "entity");
      name.type = "button";
      name.title = row.entity_id;
      name.addEventListener("click", () => setFilter(state.source, row.entity_id));
      item.append(name, el("span", row.count, "count"));
      list.append(item);
    }
    empty(list, "nothing yet");
  }

  function renderTopics(rows) {
    const list = $("topics");
    list.replaceChildren();
    for (const row of rows) {
      const item = el("li");
      const bar = el("meter");
      bar.min = 0;
      bar.max = 1;
      bar.value = row.share;
      const label = el("span", row.label);
      label.title = row.topic;
      item.append(label, bar, el("span", Math.round(row.share * 100) + "%", "count"));
      list.append(item);
    }
    empty(list, "nothing yet");
  }

  function renderSources(rows) {
    const select = $("source");
    const keep = state.source;
    select.replaceChildren(new Option("all sources", ""));
    for (const row of rows) select.append(new Option(row.source + " (" + row.articles + ")", row.source));
    if (keep && !rows.some((row) => row.source === keep)) select.append(new Option(keep, keep));
    select.value = keep;
  }

  function quoteNode(q) {
    const item = el("li", null, "quote");
    item.dataset.id = String(q.id);
    const meta = el("p", null, "meta");
    const speaker = el("span", q.speaker || "unattributed", "speaker");
    if (q.speaker_id) speaker.title = q.speaker_id;
    meta.append(
      speaker,
      document.createTextNode(" · "),
      el("span", q.source, "source"),
      document.createTextNode(" · "),
      el("time", formatTime(q.published_at)),
    );
    if (q.headline) meta.append(document.createTextNode(" · "), el("span", q.headline, "headline"));
    item.append(el("blockquote", "“" + q.text + "”"), meta);
    return item;
  }

  function addQuote(q) {
    if (q.id <= state.newestQuote) return; // already shown (snapshot and stream may overlap)
    state.newestQuote = q.id;
    const list = $("quotes");
    list.querySelector(".empty")?.remove();
    list.prepend(quoteNode(q));
    while (list.children.length > MAX_QUOTES) list.lastElementChild.remove();
  }

  async function refreshAggregates() {
    const [sources, topics, ...groups] = await Promise.all([
      getJSON("/api/sources"),
      getJSON("/api/topics"),
      ...GROUPS.map((group) => getJSON("/api/trending", { group, limit: 10 })),
    ]);
    renderSources(sources.sources);
    renderTopics(topics.topics);
    GROUPS.forEach((group, i) => renderTrending(group, groups[i].trending));
  }

  // Counts change with every entity event; one refresh a second is enough for a human to read.
  function scheduleRefresh() {
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(() => {
      state.refreshTimer = null;
      refreshAggregates().catch(showError);
    }, 1000);
  }

  function setStatus(text, live) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("live", Boolean(live));
  }

  function showError(error) {
    setStatus("error: " + error.message, false);
  }

  function openStream(after) {
    const extra = { after };
    if (token) extra.token = token; // EventSource cannot send an Authorization header
    const stream = new EventSource("/events?" + query(extra));
    stream.addEventListener("open", () => setStatus("live", true));
    stream.addEventListener("error", () => setStatus("reconnecting…", false));
    stream.addEventListener("quote", (event) => {
      addQuote(JSON.parse(event.data));
      scheduleRefresh(); // a new source shows up in the filter
    });
    for (const kind of ["entity", "topic", "trending", "article"]) {
      stream.addEventListener(kind, scheduleRefresh);
    }
    // The server could not replay what was missed: start again from a fresh snapshot.
    stream.addEventListener("reset", () => reload().catch(showError));
    state.stream = stream;
  }

  async function reload() {
    if (state.stream) state.stream.close();
    state.stream = null;
    const snapshot = await getJSON("/api/quotes", { limit: MAX_QUOTES });
    const list = $("quotes");
    list.replaceChildren();
    state.newestQuote = 0;
    for (const q of snapshot.quotes.slice().reverse()) addQuote(q);
    state.newestQuote = Math.max(state.newestQuote, snapshot.last_id);
    empty(list, "no quotes yet");
    await refreshAggregates();
    openStream(snapshot.last_id);
  }

  function setFilter(source, entity) {
    state.source = source;
    state.entity = entity;
    $("entity").value = entity;
    const url = new URLSearchParams(location.search);
    for (const [k, v] of [["source", source], ["entity", entity]]) v ? url.set(k, v) : url.delete(k);
    history.replaceState(null, "", "?" + url);
    reload().catch(showError);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("entity").value = state.entity;
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      setFilter($("source").value, $("entity").value.trim());
    });
    $("source").addEventListener("change", () => setFilter($("source").value, state.entity));
    $("clear").addEventListener("click", () => setFilter("", ""));
    reload().catch(showError);
  });
})();

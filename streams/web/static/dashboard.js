// The dashboard page: snapshots from /api/*, live updates from /events (Server-Sent Events).
// Article text is data: it only ever reaches the DOM through textContent / createTextNode.
"use strict";

(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || "";
  const state = {
    source: params.get("source") || "",
    entity: params.get("entity") || "",
    article: params.get("article") || "",
    span: params.get("span") === "day" ? "day" : "hour",
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

  const pad = (n) => String(n).padStart(2, "0");

  // ISO 8601 in UTC as the event gave it, the reader's local time beside; no time is said, not made up.
  function formatTime(iso) {
    if (!iso) return "no time given";
    const when = new Date(iso);
    if (isNaN(when)) return String(iso);
    const utc = when.toISOString().slice(0, 16).replace("T", " ") + "Z";
    const local = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())} ${pad(when.getHours())}:${pad(when.getMinutes())}`;
    return `${utc} (local ${local})`;
  }

  function describeWindow(window) {
    if (!window) return "no counts yet";
    const basis = window.basis === "trending" ? "distinct articles, trending topic" : "distinct articles held here";
    return `${window.span === "day" ? "24 h" : "1 h"} to ${formatTime(window.end)} · ${basis}`;
  }

  // A small line of the trailing hour's five-minute counts (SVG built node by node, no markup strings).
  function sparkline(values) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 60 12");
    svg.setAttribute("aria-hidden", "true");
    const top = Math.max(1, ...values);
    const points = values.map((v, i) => `${(i * 60) / Math.max(1, values.length - 1)},${11 - (v * 10) / top}`);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.append(line);
    return svg;
  }

  function renderTrending(id, rows, window) {
    const list = $(id);
    list.replaceChildren();
    $(id + "-window").textContent = describeWindow(window);
    for (const row of rows) {
      const item = el("li");
      const name = el("button", row.name, "entity");
      name.type = "button";
      name.title = row.entity_id;
      name.addEventListener("click", () => setFilter(state.source, row.entity_id));
      item.append(name);
      if (row.spark) item.append(sparkline(row.spark));
      if (row.spike) item.append(el("span", "spike", "spike"));
      else if (row.rising) item.append(el("span", "▲", "rising"));
      const count = el("span", row.count, "count");
      if (row.previous_count !== undefined) count.title = `hour before: ${row.previous_count}`;
      item.append(count);
      item.classList.toggle("hot", Boolean(row.spike || row.rising));
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
    item.dataset.event = q.event_id;
    item.dataset.article = q.article_id;
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
    item.append(el("blockquote", "“" + q.text + "”"), meta);
    addHeadline(item, q);
    return item;
  }

  // The article's headline, linked when it has a URL; filled in later when the article arrives after.
  function addHeadline(item, article) {
    if (!article.headline || item.querySelector(".headline")) return;
    const meta = item.querySelector(".meta");
    let headline = el("span", article.headline, "headline");
    if (article.url && /^https?:\/\//.test(article.url)) {
      headline = el("a", article.headline, "headline");
      headline.href = article.url;
      headline.rel = "noopener noreferrer";
      headline.target = "_blank";
    }
    meta.append(document.createTextNode(" · "), headline);
    if (article.article_id) meta.append(document.createTextNode(" · "), articleLink(article.article_id, "view"));
  }

  function entityButton(name, entityId, className) {
    const button = el("button", name, className || "entity");
    button.type = "button";
    button.title = entityId;
    button.addEventListener("click", () => setFilter(state.source, entityId));
    return button;
  }

  function articleLink(articleId, text) {
    const link = el("a", text, "article-link");
    link.href = "?" + new URLSearchParams({ article: articleId, ...(token ? { token } : {}) });
    return link;
  }

  // One article: its text with entity mentions and quotations marked (text nodes only), topics, version.
  function renderArticle(view) {
    const detail = $("detail");
    detail.replaceChildren();
    detail.append(el("h2", view.headline || view.article_id));
    const meta = el("p", null, "meta");
    meta.append(
      el("span", view.source, "source"),
      document.createTextNode(` · version ${view.version ?? "?"} · ${view.language || "language unknown"} · `),
      el("time", formatTime(view.published_at)),
    );
    if (view.url && /^https?:\/\//.test(view.url)) {
      const link = el("a", "original", "headline");
      link.href = view.url;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      meta.append(document.createTextNode(" · "), link);
    }
    detail.append(meta);
    if (view.topics.length) detail.append(el("p", "Topics: " + view.topics.map((t) => t.label).join(", "), "meta"));
    const body = el("div", null, "body");
    for (const paragraph of view.paragraphs) {
      const p = el("p");
      for (const piece of paragraph) {
        let node = piece.entity_id
          ? entityButton(piece.text, piece.entity_id, "mention type-" + piece.type)
          : document.createTextNode(piece.text);
        if (piece.quote) {
          const quoted = el("span", null, "quoted");
          quoted.append(node);
          node = quoted;
        }
        p.append(node);
      }
      body.append(p);
    }
    if (!view.paragraphs.length) body.append(el("p", "the article's text has not arrived", "empty"));
    detail.append(body);
    detail.hidden = false;
  }

  // One entity: the articles naming it, distinct articles per hour, and who is named alongside it.
  function renderEntity(view) {
    const detail = $("detail");
    detail.replaceChildren();
    detail.append(el("h2", `${view.name} (${view.type})`));
    const articleCount = `${view.article_count} article${view.article_count === 1 ? "" : "s"}`;
    detail.append(el("p", `${articleCount} held here · distinct articles per hour over the last day:`, "meta"));
    detail.append(sparkline(view.hours.map((h) => h.count)));
    const articles = el("ul", null, "articles");
    for (const a of view.articles) {
      const item = el("li");
      item.append(articleLink(a.article_id, a.headline || a.article_id), el("span", ` · ${a.source} · ${formatTime(a.published_at)}`, "meta"));
      articles.append(item);
    }
    detail.append(el("h3", "Articles"), articles);
    const related = el("p", null, "related");
    for (const r of view.related) {
      related.append(entityButton(r.name, r.entity_id), el("span", ` ${r.count}  `, "count"));
    }
    if (!view.related.length) related.append(el("span", "no other entity yet", "empty"));
    detail.append(el("h3", "Named alongside"), related);
    detail.hidden = false;
  }

  async function refreshDetail() {
    const detail = $("detail");
    if (state.article) {
      let view = null;
      try {
        view = await getJSON("/api/article", { id: state.article });
      } catch {
        // Killed by its feed (its tombstone arrived), or older than the dashboard remembers.
        detail.replaceChildren(el("p", "This article is not held here: withdrawn by its feed, or no longer remembered.", "empty"));
        detail.hidden = false;
        return;
      }
      renderArticle(view);
    } else if (state.entity) {
      try {
        renderEntity(await getJSON("/api/entity", { id: state.entity }));
      } catch {
        detail.hidden = true; // a name typed in the filter, not an id the dashboard knows
      }
    } else {
      detail.hidden = true;
    }
  }

  function articleArrived(article) {
    for (const item of $("quotes").querySelectorAll("li.quote")) {
      if (item.dataset.article === article.article_id) addHeadline(item, article);
    }
  }

  // A withdrawn quote (a retraction) or a killed article's quotes leave the list at once.
  function dropQuotes(keep) {
    const list = $("quotes");
    for (const item of list.querySelectorAll("li.quote")) {
      if (!keep(item)) item.remove();
    }
    empty(list, "no quotes yet");
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
      ...GROUPS.map((group) => getJSON("/api/trending", { group, limit: 10, span: state.span })),
    ]);
    renderSources(sources.sources);
    renderTopics(topics.topics);
    GROUPS.forEach((group, i) => renderTrending(group, groups[i].trending, groups[i].window));
    await refreshDetail();
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
    stream.addEventListener("article", (event) => {
      articleArrived(JSON.parse(event.data));
      scheduleRefresh();
    });
    stream.addEventListener("retraction", (event) => {
      const withdrawn = JSON.parse(event.data);
      if (withdrawn.what === "quote") dropQuotes((item) => item.dataset.event !== withdrawn.retracts);
      // The list is narrowed to an entity the article no longer names: which quotes match changed.
      const narrowed = state.entity.toLowerCase();
      if (withdrawn.what === "entity" && [withdrawn.entity_id, withdrawn.name].some((k) => k && k.toLowerCase() === narrowed)) {
        reload().catch(showError);
        return;
      }
      scheduleRefresh(); // counts, topic mix and the open article or entity view
    });
    stream.addEventListener("removed", (event) => {
      const killed = JSON.parse(event.data);
      dropQuotes((item) => item.dataset.article !== killed.article_id);
      scheduleRefresh();
    });
    for (const kind of ["entity", "topic", "trending"]) {
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
    state.article = ""; // choosing a filter or an entity leaves the article view
    $("entity").value = entity;
    const url = new URLSearchParams(location.search);
    url.delete("article");
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
    for (const button of document.querySelectorAll("#span button")) {
      button.setAttribute("aria-pressed", String(button.value === state.span));
      button.addEventListener("click", () => {
        state.span = button.value;
        for (const b of document.querySelectorAll("#span button")) b.setAttribute("aria-pressed", String(b === button));
        const url = new URLSearchParams(location.search);
        state.span === "hour" ? url.delete("span") : url.set("span", state.span);
        history.replaceState(null, "", "?" + url);
        refreshAggregates().catch(showError);
      });
    }
    reload().catch(showError);
  });
})();

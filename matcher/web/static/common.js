/* Shared by the pages: calls to the service's API, safe DOM building, dates, highlighting, readiness.
   No ranking happens here: the pages show what the API returns. */
"use strict";

const M = {};

/** fetch + JSON; never throws: {ok, status, data}, with the API's error object on failure. */
M.api = async function (path, options) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    return { ok: false, status: 0, data: { error: { code: "network", message: "The service cannot be reached. Check that matcher serve is running, then try again." } } };
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok && !(data && data.error)) {
    data = { error: { code: "http_" + response.status, message: "The service answered " + response.status + "." } };
  }
  return { ok: response.ok, status: response.status, data: data };
};

/** el("a", {href: "/x", class: "y"}, ["text", child]): elements and text nodes, so no text is ever parsed as markup. */
M.el = function (tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "style") Object.assign(node.style, value);  // CSSOM, which the page's CSP allows
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of [].concat(children || [])) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
};

M.date = function (ms) {
  if (ms === null || ms === undefined) return "";
  const d = new Date(ms);
  return isNaN(d) ? "" : d.toISOString().slice(0, 10);
};

/** A passage with every occurrence of the given terms (whole words, any case) wrapped in <mark>. */
M.highlight = function (text, terms) {
  const words = [...new Set(terms.filter((t) => t && t.trim().length > 1).map((t) => t.trim().toLowerCase()))]
    .sort((a, b) => b.length - a.length)
    .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const out = document.createDocumentFragment();
  if (!words.length) { out.append(text); return out; }
  const pattern = new RegExp("(?<![\\p{L}\\p{N}])(" + words.join("|") + ")(?![\\p{L}\\p{N}])", "giu");
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    out.append(text.slice(last, match.index), M.el("mark", { text: match[0] }));
    last = match.index + match[0].length;
  }
  out.append(text.slice(last));
  return out;
};

M.show = function (node, on) { node.hidden = !on; };

M.message = function (text, kind) {
  const box = document.getElementById("message");
  box.replaceChildren();
  if (!text) { box.hidden = true; return; }
  box.className = "message " + (kind || "error");
  for (const part of [].concat(text)) box.append(typeof part === "string" ? M.el("p", { text: part }) : part);
  box.hidden = false;
  box.focus();
};

/** Poll /readyz until the index is loaded; the banner says what is going on, `onChange(ready)` is told. */
M.watchReady = function (onChange) {
  const banner = document.getElementById("service");
  let wasReady = null;
  async function check() {
    const r = await M.api("/readyz");
    const ready = r.ok;
    if (ready !== wasReady) {
      banner.textContent = ready ? "" :
        "The service is not ready: " + ((r.data && r.data.error && r.data.error.message) || "it is starting") +
        ". This page retries every few seconds.";
      banner.hidden = ready;
      onChange(ready);
      wasReady = ready;
    }
    if (!ready) setTimeout(check, 3000);
  }
  check();
  return { recheck: function () { wasReady = null; check(); } };
};

/** Items for a list of similar postings (GET /v1/postings/{id}/similar). */
M.similarItems = function (results) {
  return results.map((s) => M.el("li", {}, [
    M.el("a", { href: "/postings/" + encodeURIComponent(s.posting_id), text: s.title }),
    M.el("span", { class: "meta", text: " · " + (s.company || "") }),
    s.shared_tags.length ? M.el("span", { class: "hint", text: " · shares " + s.shared_tags.join(", ") }) : null,
  ]));
};

window.M = M;

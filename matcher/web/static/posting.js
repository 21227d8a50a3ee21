/* The posting page: GET /v1/postings/{id} and its similar postings. */
"use strict";

(function () {
  const { api, el, date, message } = window.M;
  const $ = (id) => document.getElementById(id);
  const id = decodeURIComponent(location.pathname.replace(/^\/postings\//, "").replace(/\/$/, ""));

  // The body is Markdown. It is drawn with a few block and inline rules into elements built from text (never
  // parsed as HTML), so a posting cannot inject markup; anything else shows as written.
  const BULLET = /^\s*(?:[*+-]|\d+[.)])\s+/;

  function inline(text) {
    const out = [];
    let last = 0;
    const plain = (t) => t.replace(/\[([^\]]+)\]\([^)]*\)/g, "$1").replace(/`/g, "");
    for (const m of text.matchAll(/(\*\*|__)(.+?)\1/g)) {
      out.push(plain(text.slice(last, m.index)), el("strong", { text: plain(m[2]) }));
      last = m.index + m[0].length;
    }
    out.push(plain(text.slice(last)));
    return out;
  }

  function blocks(markdown) {
    return markdown.trim().split(/\n\s*\n/).map((block) => {
      const lines = block.split("\n");
      const heading = block.match(/^#{1,6}\s+(.*)$/);
      if (heading && lines.length === 1) return el("h3", {}, inline(heading[1]));
      if (lines.every((line) => BULLET.test(line) || /^\s{2,}\S/.test(line))) {
        return el("ul", {}, lines.filter((line) => BULLET.test(line)).map((line) => el("li", {}, inline(line.replace(BULLET, "")))));
      }
      return el("p", {}, inline(block));
    });
  }

  async function load() {
    const r = await api("/v1/postings/" + encodeURIComponent(id));
    $("posting").removeAttribute("aria-busy");
    if (!r.ok) {
      $("posting-title").textContent = r.status === 404 ? "No such posting" : "The posting could not be loaded";
      message(r.data.error.message);
      $("similar").hidden = true;
      return;
    }
    const p = r.data;
    document.title = p.title + " · matcher";
    $("posting-title").textContent = p.title;
    $("posting-meta").textContent = [p.company, p.location, p.job_type, p.timestamp ? "posted " + date(p.timestamp) : null,
                                     p.archived ? "archived" : null].filter(Boolean).join(" · ");
    const apply = p.apply_url || p.url;
    $("posting-links").replaceChildren(...[
      apply ? el("a", { href: apply, target: "_blank", rel: "noopener noreferrer", text: "Apply (opens the employer's site)" }) : null,
      p.company_website ? el("a", { href: p.company_website, target: "_blank", rel: "noopener noreferrer", text: "Company website" }) : null,
    ].filter(Boolean));
    $("posting-tags").replaceChildren(...p.tags.map((t) => el("li", { class: "tag", text: t })));
    $("posting-body").replaceChildren(...blocks(p.body));
    $("posting-title").focus();
    const s = await api("/v1/postings/" + encodeURIComponent(id) + "/similar?k=5");
    $("similar-list").replaceChildren(...(s.ok ? (s.data.results.length ? window.M.similarItems(s.data.results)
      : [el("li", { text: "No similar jobs." })]) : [el("li", { text: s.data.error.message })]));
  }

  window.M.watchReady((ready) => { if (ready) load(); });
})();

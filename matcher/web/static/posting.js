/* The posting page: GET /v1/postings/{id} and its similar postings. */
"use strict";

(function () {
  const { api, el, date, message } = window.M;
  const $ = (id) => document.getElementById(id);
  const id = decodeURIComponent(location.pathname.replace(/^\/postings\//, "").replace(/\/$/, ""));

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
    // The body is Markdown; it is shown as text (never as HTML), so a posting cannot inject markup.
    $("posting-body").replaceChildren(...p.body.split(/\n{2,}/).map((para) => el("p", { text: para.replace(/^#+\s*/, "") })));
    $("posting-title").focus();
    const s = await api("/v1/postings/" + encodeURIComponent(id) + "/similar?k=5");
    $("similar-list").replaceChildren(...(s.ok ? (s.data.results.length ? window.M.similarItems(s.data.results)
      : [el("li", { text: "No similar jobs." })]) : [el("li", { text: s.data.error.message })]));
  }

  window.M.watchReady((ready) => { if (ready) load(); });
})();

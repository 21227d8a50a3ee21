/* The search page: builds a request from the form, sends it to POST /v1/match, shows what comes back. */
"use strict";

(function () {
  const { api, el, date, highlight, message } = window.M;
  const $ = (id) => document.getElementById(id);
  const form = $("search"), textArea = $("cv-text"), fileInput = $("cv-file"), clearFile = $("clear-file");
  const input = $("skill-input"), options = $("skill-options"), chips = $("chips");
  const FILTERS = ["job_type", "company", "location", "tags_any", "posted_after", "posted_before", "include_archived"];
  const COMPONENT_LABELS = { semantic: "meaning of the CV", head: "stated role", title: "job title", lexical: "shared words",
                             skills: "skills", role: "role family" };
  const skills = [];
  let vocabulary = null;  // tag -> [name, aliases...], for highlighting
  let ready = false;

  // -- readiness -------------------------------------------------------------------------------------------
  const watcher = window.M.watchReady((isReady) => { ready = isReady; $("go").disabled = !isReady; });

  // -- the CV file -----------------------------------------------------------------------------------------
  fileInput.addEventListener("change", () => { clearFile.hidden = !fileInput.files.length; });
  clearFile.addEventListener("click", () => { fileInput.value = ""; clearFile.hidden = true; fileInput.focus(); });

  // -- skills as chips, with suggestions from GET /v1/tags -----------------------------------------------------
  function renderChips() {
    chips.replaceChildren(...skills.map((skill, i) => el("li", { class: "chip" }, [
      el("span", { text: skill }),
      el("button", { type: "button", class: "chip-remove", "aria-label": "Remove skill " + skill, text: "×",
                     onclick: () => { skills.splice(i, 1); renderChips(); input.focus(); } }),
    ])));
    $("skill-count").textContent = skills.length ? skills.length + " skill" + (skills.length > 1 ? "s" : "") + " added: " + skills.join(", ") : "No skills added";
  }

  function addSkill(value) {
    const skill = value.trim().replace(/,$/, "").trim();
    if (skill && !skills.some((s) => s.toLowerCase() === skill.toLowerCase())) skills.push(skill);
    input.value = "";
    closeOptions();
    renderChips();
  }

  let active = -1, suggestTimer = null, suggestSeq = 0;
  function closeOptions() {
    options.hidden = true; options.replaceChildren(); active = -1;
    input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
  }
  function setActive(i) {
    const items = [...options.children];
    if (!items.length) return;
    active = (i + items.length) % items.length;
    items.forEach((item, j) => item.setAttribute("aria-selected", j === active ? "true" : "false"));
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }
  async function suggest() {
    const prefix = input.value.trim();
    const seq = ++suggestSeq;
    if (!prefix) { closeOptions(); return; }
    const r = await api("/v1/tags?limit=8&min_postings=1&prefix=" + encodeURIComponent(prefix));
    if (seq !== suggestSeq || !r.ok) return;
    const rows = r.data.tags.filter((t) => !skills.includes(t.name) && !skills.includes(t.tag));
    if (!rows.length) { closeOptions(); return; }
    options.replaceChildren(...rows.map((t, i) => el("li", {
      id: "skill-option-" + i, role: "option", "aria-selected": "false", "data-value": t.name,
      onmousedown: (e) => { e.preventDefault(); addSkill(t.name); },
    }, [el("span", { text: t.name }), el("span", { class: "hint", text: " " + t.postings + " job" + (t.postings === 1 ? "" : "s") })])));
    options.hidden = false; active = -1;
    input.setAttribute("aria-expanded", "true");
  }
  input.addEventListener("input", () => {
    if (input.value.endsWith(",")) { addSkill(input.value); return; }
    clearTimeout(suggestTimer); suggestTimer = setTimeout(suggest, 120);
  });
  input.addEventListener("keydown", (e) => {
    const open = !options.hidden;
    if (e.key === "ArrowDown" && open) { e.preventDefault(); setActive(active + 1); }
    else if (e.key === "ArrowUp" && open) { e.preventDefault(); setActive(active - 1); }
    else if (e.key === "Enter" && (input.value.trim() || open)) {
      e.preventDefault();  // Enter in the skill box adds a skill; it never submits the form
      addSkill(open && active >= 0 ? options.children[active].dataset.value : input.value);
    } else if (e.key === "Escape" && open) { e.preventDefault(); closeOptions(); }
    else if (e.key === "Backspace" && !input.value && skills.length) { skills.pop(); renderChips(); }
  });
  input.addEventListener("blur", () => setTimeout(closeOptions, 100));

  // -- filters ---------------------------------------------------------------------------------------------
  function readFilters() {
    const f = {};
    for (const name of FILTERS) {
      const field = form.elements[name];
      if (field.type === "checkbox") { if (field.checked) f[name] = true; }
      else if (name === "tags_any") {
        const tags = field.value.split(",").map((t) => t.trim()).filter(Boolean);
        if (tags.length) f[name] = tags;
      } else if (field.value.trim()) f[name] = field.value.trim();
    }
    return f;
  }
  function describeFilter(name, value) {
    const label = form.elements[name].closest("label").firstChild.textContent.trim();
    return name === "include_archived" ? "include archived" : label.toLowerCase() + " “" + [].concat(value).join(", ") + "”";
  }
  form.addEventListener("input", () => {
    const n = Object.keys(readFilters()).length;
    $("filter-count").textContent = n ? "(" + n + " set)" : "";
  });

  // -- the request -----------------------------------------------------------------------------------------
  function request(k, filters) {
    const body = new FormData();
    if (fileInput.files.length) body.append("file", fileInput.files[0]);
    else if (textArea.value.trim()) body.append("text", textArea.value);
    for (const skill of skills) body.append("skills", skill);
    body.append("k", String(k));
    body.append("filters", JSON.stringify(filters));
    return api("/v1/match", { method: "POST", body: body });
  }

  function explainError(r) {
    const err = r.data.error;
    const titles = {
      no_text: "No text could be found in this file.", encrypted_file: "This file is password-protected.",
      unsupported_file_type: "This kind of file cannot be read.", unreadable_file: "This file could not be read.",
      file_too_large: "This CV is too large.", payload_too_large: "This CV is too large.",
      index_missing: "The service is not ready yet.",
    };
    if (r.status === 503) watcher.recheck();
    return [titles[err.code] || "The search did not work.", err.message];
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    message(null);  // an earlier answer's message would be mistaken for this one's
    if (input.value.trim()) addSkill(input.value);
    if (!fileInput.files.length && !textArea.value.trim() && !skills.length) {
      message(["Nothing to match yet.", "Paste your CV, upload a CV file, or add at least one skill."], "info");
      textArea.focus();
      return;
    }
    if (!ready) { message("The service is not ready yet; please wait a moment.", "info"); return; }
    const k = Number(form.elements.k.value), filters = readFilters();
    $("go").disabled = true; $("go").textContent = "Searching…";
    form.setAttribute("aria-busy", "true");
    const started = performance.now();
    try {
      const r = await request(k, filters);
      if (!r.ok) { $("results").hidden = true; message(explainError(r)); return; }
      message(null);
      await showResults(r.data, filters, started);
    } finally {
      $("go").disabled = !ready; $("go").textContent = "Find jobs"; form.removeAttribute("aria-busy");
    }
  });

  // -- results ---------------------------------------------------------------------------------------------
  async function loadVocabulary() {
    if (vocabulary) return vocabulary;
    const r = await api("/v1/tags");
    vocabulary = {};
    if (r.ok) for (const t of r.data.tags) vocabulary[t.tag] = [t.tag, t.name, ...t.aliases];
    return vocabulary;
  }

  async function showResults(data, filters, started) {
    const list = $("result-list"), results = data.results;
    const [postings, vocab] = await Promise.all([
      Promise.all(results.map((r) => api("/v1/postings/" + encodeURIComponent(r.posting_id)))),
      loadVocabulary(),
    ]);
    list.replaceChildren(...results.map((r, i) => card(r, postings[i].ok ? postings[i].data : {}, vocab, i + 1)));
    showBlinded(data.blinded);
    $("results").hidden = false;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    $("results-summary").textContent = results.length
      ? results.length + " jobs, best first (" + data.candidates_examined + " postings compared in " + seconds + " s)."
      : "";
    $("results").dataset.ms = String(Math.round(performance.now() - started));
    if (!results.length) await explainEmpty(filters);
    $("results-heading").focus();
  }

  function showBlinded(blinded) {
    // The API's `blinded`: {enabled, removed: {kind: count}}; what was taken out of the CV before ranking.
    const box = $("blinded");
    const removed = blinded && blinded.enabled ? Object.entries(blinded.removed || {}) : [];
    box.hidden = !removed.length;
    if (!removed.length) return;
    const items = removed.map(([kind, n]) => n + " " + kind.replace(/_/g, " ") + (n > 1 && !kind.endsWith("s") ? "s" : ""));
    box.replaceChildren(el("p", { text: "For fairness, matching did not see these details from your CV: " + items.join(", ") + "." }));
  }

  async function explainEmpty(filters) {
    const names = Object.keys(filters);
    if (!names.length) {
      message(["No jobs matched.", "Try a longer CV or more skills."], "info");
      return;
    }
    const freed = [];
    await Promise.all(names.map(async (name) => {
      const others = Object.fromEntries(Object.entries(filters).filter(([key]) => key !== name));
      const r = await request(1, others);
      if (r.ok && r.data.results.length) freed.push(describeFilter(name, filters[name]));
    }));
    const all = names.map((n) => describeFilter(n, filters[n])).join("; ");
    message(freed.length
      ? ["No jobs match under these filters.", "Removing this filter would give results: " + freed.join("; ") + "."]
      : ["No jobs match under these filters (" + all + ").", "No single filter is the cause: remove several of them."], "info");
  }

  function componentBar(components) {
    const entries = Object.entries(components);
    const total = entries.reduce((sum, [, v]) => sum + Math.abs(v), 0) || 1;
    const bar = el("div", { class: "bar", "aria-hidden": "true" }, entries.map(([name, v]) => el("span", {
      class: "seg seg-" + name + (v < 0 ? " neg" : ""), style: { width: (100 * Math.abs(v) / total).toFixed(1) + "%" },
      title: (COMPONENT_LABELS[name] || name) + " " + v.toFixed(3),
    })));
    const legend = el("ul", { class: "legend", "aria-label": "What made the score" }, entries.map(([name, v]) => el("li", {}, [
      el("span", { class: "swatch seg-" + name + (v < 0 ? " neg" : ""), "aria-hidden": "true" }),
      (COMPONENT_LABELS[name] || name) + " " + (v >= 0 ? "+" : "") + v.toFixed(2),
    ])));
    return el("div", { class: "components" }, [bar, legend]);
  }

  function tagChip(m) {
    const how = m.via === "exact" ? "exact" : m.via === "alias" ? "alias of your “" + m.candidate_term + "”"
      : "close to your “" + m.candidate_term + "” (" + Math.round(m.similarity * 100) + "%)";
    return el("li", { class: "tag via-" + m.via }, [el("span", { text: m.tag }), el("span", { class: "via", text: " " + how })]);
  }

  function card(r, posting, vocab, rank) {
    const id = "result-" + rank;
    const terms = r.matched_tags.flatMap((m) => [m.candidate_term, ...(vocab[m.tag] || [m.tag])]);
    const apply = posting.apply_url || posting.url || r.url;
    const meta = [r.company, posting.location, posting.timestamp ? "posted " + date(posting.timestamp) : null]
      .filter(Boolean).join(" · ");
    const similarList = el("ol", { class: "similar", id: id + "-similar", hidden: true, "aria-label": "Jobs similar to " + r.title });
    const similarButton = el("button", { type: "button", class: "secondary", "aria-expanded": "false",
                                         "aria-controls": id + "-similar", text: "Similar jobs" });
    similarButton.addEventListener("click", async () => {
      const open = similarButton.getAttribute("aria-expanded") === "true";
      if (open) { similarList.hidden = true; similarButton.setAttribute("aria-expanded", "false"); return; }
      similarButton.textContent = "Loading…";
      const s = await api("/v1/postings/" + encodeURIComponent(r.posting_id) + "/similar?k=5");
      similarButton.textContent = "Similar jobs";
      similarList.replaceChildren(...(s.ok ? (s.data.results.length ? window.M.similarItems(s.data.results)
        : [el("li", { text: "No similar jobs." })]) : [el("li", { text: s.data.error.message })]));
      similarList.hidden = false;
      similarButton.setAttribute("aria-expanded", "true");
      const first = similarList.querySelector("a");
      if (first) first.focus();
    });
    const percent = r.match_percent === null || r.match_percent === undefined ? null : r.match_percent;
    return el("li", { class: "result" }, [el("article", { "aria-labelledby": id + "-title" }, [
      el("div", { class: "result-head" }, [
        el("h3", { id: id + "-title" }, [el("a", { href: "/postings/" + encodeURIComponent(r.posting_id), text: r.title })]),
        el("p", { class: "percent", "aria-label": percent === null ? "score " + r.score.toFixed(2) : percent + "% chance of a good match" },
           percent === null ? [el("strong", { text: r.score.toFixed(2) }), " score"] : [el("strong", { text: percent + "%" }), " match"]),
      ]),
      el("p", { class: "meta", text: meta }),
      componentBar(r.components),
      el("h4", { text: "Skills you have" }),
      r.matched_tags.length ? el("ul", { class: "tags" }, r.matched_tags.map(tagChip)) : el("p", { class: "hint", text: "None of this job's tags." }),
      el("h4", { text: "Skills it asks for that you did not mention" }),
      r.missing_tags.length ? el("ul", { class: "tags missing" }, r.missing_tags.map((t) => el("li", { class: "tag", text: t })))
        : el("p", { class: "hint", text: "None: you cover every tag." }),
      el("h4", { text: "Where it matches" }),
      el("blockquote", { class: "passage" }, [highlight(r.passage, terms)]),
      el("p", { class: "links" }, [
        el("a", { href: "/postings/" + encodeURIComponent(r.posting_id), text: "View the posting" }),
        apply ? el("a", { href: apply, target: "_blank", rel: "noopener noreferrer", text: "Apply (opens the employer's site)" }) : null,
        similarButton,
      ]),
      similarList,
    ])]);
  }

  renderChips();
})();

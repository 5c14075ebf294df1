// mlscaffold preview: the form, and the project it renders, side by side.
// Plain browser JavaScript, no build step and no network beyond this server:
// every URL is relative to the page, whose path holds the run's token.
"use strict";

const DEBOUNCE_MS = 250;
const POLL_MS = 1000;

const state = {
  pages: [],
  step: 0,
  seq: 0, // number of the latest render request
  shown: 0, // number of the request whose answer is on screen
  revision: 0,
  result: null,
  previous: new Map(), // "output/path" -> text of the previous successful render
  changed: new Set(), // "output/path" that changed in the last render
  selected: null, // {output, path}
  view: "file",
  timer: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok && data.error === undefined) data.error = response.statusText;
  return data;
}

// ---------------------------------------------------------------- the form

function buildForm(form) {
  state.pages = form.pages;
  const nav = $("steps");
  const root = $("form");
  form.pages.forEach((page, index) => {
    nav.append(el("button", {
      type: "button", class: "step", "data-step": index, id: `step-${index}`,
    }, el("span", { class: "num", text: String(index + 1) }),
    el("span", { text: page.title }), el("span", { class: "badge" })));
    const section = el("fieldset", { class: "page", "data-page": index },
      el("legend", { text: `${index + 1}. ${page.title}` }));
    const required = new Set(page.required || []);
    for (const [name, spec] of Object.entries(page.properties || {})) {
      section.append(field(name, spec, required.has(name), form));
    }
    root.append(section);
  });
  nav.addEventListener("click", (event) => {
    const button = event.target.closest("[data-step]");
    if (button) showStep(Number(button.dataset.step));
  });
  $("prev").addEventListener("click", () => showStep(state.step - 1));
  $("next").addEventListener("click", () => showStep(state.step + 1));
  root.addEventListener("input", scheduleRender);
  root.addEventListener("change", scheduleRender);
  $("team") && $("team").addEventListener("input", () => ownerHints(Object.keys(form.teams)));
  ownerHints(Object.keys(form.teams));
  showStep(0);
}

function initialValue(name, spec, form) {
  if (form.initial[name] !== undefined) return String(form.initial[name]);
  return spec.default === undefined ? "" : String(spec.default);
}

function field(name, spec, required, form) {
  const value = initialValue(name, spec, form);
  const label = el("label", { for: name, class: "label" }, spec.title || name,
    required ? el("span", { class: "req", text: " *" }) : null);
  const box = el("div", { class: "field", id: `field-${name}` }, label);
  const ui = spec["ui:field"];
  if (ui === "RepoUrlPicker") {
    box.append(repoUrlPicker(name, spec, value));
  } else if (Array.isArray(spec.enum)) {
    const titles = spec["ui:enumNames"] || spec.enum;
    const select = el("select", { id: name, "data-name": name });
    spec.enum.forEach((option, i) => {
      select.append(el("option", {
        value: option, text: String(titles[i]), selected: String(option) === value,
      }));
    });
    box.append(select);
  } else if (name === "description" || spec["ui:widget"] === "textarea") {
    const area = el("textarea", { id: name, "data-name": name, rows: 2 });
    area.value = value;
    box.append(area);
  } else {
    const input = el("input", {
      id: name, "data-name": name, value,
      type: spec.type === "integer" ? "number" : "text",
      "data-type": spec.type, autofocus: spec["ui:autofocus"] === true,
      list: ui === "OwnerPicker" ? `${name}-hints` : null,
      spellcheck: "false",
    });
    box.append(input);
    if (ui === "OwnerPicker") box.append(el("datalist", { id: `${name}-hints` }));
  }
  let help = spec.description || "";
  if (ui === "OwnerPicker") {
    help += " (Local stand-in for Backstage's OwnerPicker: type a group reference.)";
  }
  box.append(el("p", { class: "help", text: help }),
    el("div", { class: "field-error", id: `error-${name}`, role: "alert" }));
  return box;
}

// Backstage's RepoUrlPicker builds "host?owner=ORG&repo=NAME" from a host among
// the allowed ones and two text fields; so does this stand-in.
function repoUrlPicker(name, spec, value) {
  const hosts = (spec["ui:options"] || {}).allowedHosts || [];
  const [host, query] = value.includes("?") ? value.split("?", 2) : [hosts[0] || "", ""];
  const params = new URLSearchParams(query);
  const select = el("select", { id: `${name}-host`, "data-part": "host" });
  for (const option of hosts) {
    select.append(el("option", { value: option, text: option, selected: option === host }));
  }
  const owner = el("input", {
    id: `${name}-owner`, "data-part": "owner", value: params.get("owner") || "",
    placeholder: "owner (organization)", spellcheck: "false",
  });
  const repo = el("input", {
    id: `${name}-repo`, "data-part": "repo", value: params.get("repo") || "",
    placeholder: "repository", spellcheck: "false",
  });
  return el("div", { class: "picker", id: name, "data-name": name, "data-picker": "repo" },
    select, owner, repo);
}

function ownerHints(teams) {
  const list = $("owner-hints");
  if (!list) return;
  const team = $("team") ? $("team").value.trim() : "";
  const names = new Set(team ? [team] : []);
  (teams || []).forEach((name) => names.add(name));
  list.replaceChildren(...[...names].map((n) => el("option", { value: `group:default/${n}` })));
}

// Put a team's parameters into the form (fields it leaves out take their defaults).
function fillForm(values) {
  for (const node of document.querySelectorAll("#form [data-name]")) {
    const name = node.dataset.name;
    const spec = state.pages.map((p) => (p.properties || {})[name]).find(Boolean) || {};
    const value = values[name] !== undefined ? String(values[name])
      : spec.default !== undefined ? String(spec.default) : "";
    if (node.dataset.picker === "repo") {
      const [host, query] = value.includes("?") ? value.split("?", 2) : ["", ""];
      const params = new URLSearchParams(query);
      const part = (p) => node.querySelector(`[data-part=${p}]`);
      if (host) part("host").value = host;
      part("owner").value = params.get("owner") || "";
      part("repo").value = params.get("repo") || "";
    } else {
      node.value = value;
    }
  }
  render();
}

function showStep(index) {
  state.step = Math.max(0, Math.min(index, state.pages.length - 1));
  document.querySelectorAll(".page").forEach((page) => {
    page.hidden = Number(page.dataset.page) !== state.step;
  });
  document.querySelectorAll(".step").forEach((button) => {
    button.classList.toggle("on", Number(button.dataset.step) === state.step);
  });
  $("prev").disabled = state.step === 0;
  $("next").disabled = state.step === state.pages.length - 1;
}

// What Backstage's form would submit: empty fields are left out (the schema's
// defaults then apply), integers are numbers when they read as one.
function parameters() {
  const values = {};
  for (const node of document.querySelectorAll("#form [data-name]")) {
    const name = node.dataset.name;
    let value;
    if (node.dataset.picker === "repo") {
      const part = (p) => node.querySelector(`[data-part=${p}]`).value.trim();
      const owner = part("owner");
      const repo = part("repo");
      if (!owner && !repo) continue;
      value = `${part("host")}?owner=${owner}&repo=${repo}`;
    } else {
      value = node.value;
      if (node.tagName !== "TEXTAREA") value = value.trim();
    }
    if (value === "") continue;
    if (node.dataset.type === "integer" && /^-?\d+$/.test(value)) value = Number(value);
    values[name] = value;
  }
  return values;
}

// ---------------------------------------------------------------- rendering

function scheduleRender() {
  clearTimeout(state.timer);
  state.timer = setTimeout(render, DEBOUNCE_MS);
}

async function render() {
  const seq = ++state.seq;
  $("status").textContent = "Rendering...";
  const result = await api("api/render", {
    parameters: parameters(), baseline: $("baseline").value,
  });
  if (seq < state.shown) return; // an older answer arriving late
  state.shown = seq;
  state.revision = Math.max(state.revision, result.revision);
  show(result);
}

async function poll() {
  try {
    const { revision } = await api("api/revision");
    if (revision !== state.revision) {
      state.revision = revision;
      render();
    }
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function show(result) {
  state.result = result;
  showFieldErrors(result.fieldErrors || {});
  showProblems(result);
  if (result.ok) {
    state.changed = new Set();
    const next = new Map();
    for (const output of result.outputs) {
      for (const file of output.files) {
        const key = `${output.name}/${file.path}`;
        next.set(key, file.text);
        if (state.previous.size && state.previous.get(key) !== file.text) {
          state.changed.add(key);
        }
      }
    }
    state.previous = next;
  }
  showSummary(result.summary);
  showTree(result);
  showFindings(result);
  showFile();
  const files = result.outputs.reduce((n, o) => n + o.files.length, 0);
  $("status").textContent = result.ok
    ? `Rendered ${files} files (disk revision ${result.revision}); `
      + `${result.counts.errors} errors, ${result.counts.warnings} warnings`
    : result.error ? "Skeleton or settings error: nothing rendered"
      : "Invalid parameters: nothing rendered";
  document.body.dataset.state = result.ok ? "rendered" : "invalid";
}

function showFieldErrors(errors) {
  document.querySelectorAll(".field-error").forEach((node) => { node.textContent = ""; });
  document.querySelectorAll(".field").forEach((node) => node.classList.remove("bad"));
  const perPage = state.pages.map(() => 0);
  for (const [name, messages] of Object.entries(errors)) {
    const box = $(`error-${name}`);
    if (!box) continue;
    box.textContent = messages.join("\n");
    $(`field-${name}`).classList.add("bad");
    const page = state.pages.findIndex((p) => name in (p.properties || {}));
    if (page >= 0) perPage[page] += messages.length;
  }
  perPage.forEach((count, index) => {
    $(`step-${index}`).querySelector(".badge").textContent = count ? String(count) : "";
  });
}

function showProblems(result) {
  const box = $("problems");
  box.replaceChildren();
  if (result.ok) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  if (result.error) {
    box.append(el("strong", { text: "The skeleton or the settings do not render:" }),
      el("pre", { text: result.error }));
    return;
  }
  box.append(el("strong", { text: "Nothing rendered: the parameters are invalid." }),
    el("ul", {}, ...result.problems.map((p) => el("li", { text: p }))));
}

function showSummary(summary) {
  const box = $("summary");
  box.replaceChildren();
  if (!summary) return;
  const q = summary.quota;
  const gpu = q.gpus ? `, ${q.gpus} x ${summary.accelerator}` : "";
  const steps = summary.pipeline_steps.join(" \u2192 ")
    + (summary.retrain_schedule ? `, retrained on '${summary.retrain_schedule}'` : "");
  const serving = summary.serving_mode === "scale-to-zero"
    ? "scale-to-zero (minReplicas 0)" : "always-on";
  const rows = [
    ["namespace", `${summary.namespace} (Pod Security restricted)`],
    ["quota", `size ${summary.size}: ${q.cpu} CPU, ${q.memory} memory${gpu}, `
      + `${q.pods} pods, ${q.pvcs} PVCs, ${q.storage}`],
    ["queue", `${summary.queue} \u2192 ClusterQueue ${summary.cluster_queue}`],
    ["pipeline", `${summary.pipeline}: ${steps}`],
    ["serving", `${summary.model} (${summary.model_format}), ${serving}`],
    ["GPU / month", `${q.gpus} GPU x 730 h = ${summary.gpu_hours_capacity} GPU-hours `
      + `at most; budget ${summary.gpu_hours_budget} GPU-hours`],
  ];
  for (const [name, text] of rows) {
    box.append(el("div", { class: "k", text: name }),
      el("div", { class: "v", id: `summary-${name.split(" ")[0].toLowerCase()}`, text }));
  }
}

// ---------------------------------------------------------------- tree

function findingsByFile(result) {
  const counts = new Map();
  for (const f of result.findings || []) {
    const c = counts.get(f.rendered.path) || { error: 0, warning: 0, note: 0 };
    c[f.severity] += 1;
    counts.set(f.rendered.path, c);
  }
  return counts;
}

function showTree(result) {
  const root = $("outputs");
  root.replaceChildren();
  if (!result.ok) {
    root.append(el("p", { class: "muted", id: "nothing", text: "Nothing rendered." }));
    return;
  }
  const counts = findingsByFile(result);
  const first = result.outputs[0];
  if (!state.selected || !fileOf(state.selected)) {
    // A manifest says more than the README; the first under deploy/ if any.
    const pick = first.files.find((f) => f.path.startsWith("deploy/")) || first.files[0];
    state.selected = pick ? { output: first.name, path: pick.path } : null;
  }
  for (const output of result.outputs) {
    const list = el("ul", { class: "tree", "data-output": output.name });
    const dirs = new Set();
    const entries = [
      ...output.files.map((f) => ({ ...f, removed: false })),
      ...output.removed.map((f) => ({ ...f, removed: true, baseline: "removed" })),
    ].sort((a, b) => (a.path < b.path ? -1 : 1));
    for (const file of entries) {
      const parts = file.path.split("/");
      for (let depth = 1; depth < parts.length; depth++) {
        const dir = parts.slice(0, depth).join("/");
        if (dirs.has(dir)) continue;
        dirs.add(dir);
        list.append(indent(el("li", { class: "dir" }, `${parts[depth - 1]}/`), depth - 1));
      }
      const key = `${output.name}/${file.path}`;
      const c = counts.get(file.path);
      const item = el("li", {
        class: ["file", file.removed ? "removed" : "",
          state.changed.has(key) ? "changed" : "",
          isSelected(output.name, file.path) ? "on" : ""].filter(Boolean).join(" "),
        "data-path": file.path,
        "data-output": output.name, title: file.path,
      }, parts[parts.length - 1]);
      if (file.baseline) {
        item.append(el("span", {
          class: `mark ${file.baseline}`, title: `${file.baseline} vs baseline`,
          text: { added: "A", removed: "D", modified: "M", mode: "M" }[file.baseline],
        }));
      }
      if (state.changed.has(key)) {
        item.append(el("span", { class: "mark new", title: "changed by the last edit", text: "\u25CF" }));
      }
      if (c && (c.error || c.warning)) {
        item.append(el("span", {
          class: c.error ? "mark sev-error" : "mark sev-warning",
          text: String(c.error || c.warning),
        }));
      }
      list.append(indent(item, parts.length - 1));
    }
    root.append(el("div", { class: "output" },
      el("h3", { text: `${output.title} (${output.files.length} files)` }), list));
  }
  root.onclick = (event) => {
    const item = event.target.closest("li.file");
    if (!item) return;
    state.selected = { output: item.dataset.output, path: item.dataset.path };
    showTree(state.result);
    showFile();
  };
}

function indent(node, depth) {
  node.style.paddingLeft = `${0.4 + depth * 1.1}em`;
  return node;
}

function isSelected(output, path) {
  return state.selected && state.selected.output === output && state.selected.path === path;
}

function fileOf(selected) {
  if (!selected || !state.result) return null;
  const output = state.result.outputs.find((o) => o.name === selected.output);
  if (!output) return null;
  return output.files.find((f) => f.path === selected.path)
    || output.removed.find((f) => f.path === selected.path) || null;
}

// ---------------------------------------------------------------- file view

// A small YAML highlighter: comments, keys, quoted strings, literals, and
// Argo's own {{...}} expressions, which pass through rendering untouched.
function highlightYaml(line) {
  const frag = document.createDocumentFragment();
  const push = (cls, text) => {
    if (!text) return;
    frag.append(cls ? el("span", { class: cls, text }) : document.createTextNode(text));
  };
  if (/^\s*#/.test(line)) {
    push("c", line);
    return frag;
  }
  if (/^(---|\.\.\.)\s*$/.test(line)) {
    push("p", line);
    return frag;
  }
  const m = line.match(/^(\s*(?:- +)*)((?:"[^"]*"|'[^']*'|[^\s#"'][^:#]*?)\s*)(:)(?=\s|$)(.*)$/);
  let rest = line;
  if (m) {
    push("p", m[1]);
    push("k", m[2]);
    push("p", m[3]);
    rest = m[4];
  } else {
    const dash = line.match(/^(\s*(?:- +)+)(.*)$/);
    if (dash) {
      push("p", dash[1]);
      rest = dash[2];
    }
  }
  const token = /("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|\{\{[^}]*\}\}|\s#.*$|\b(?:true|false|null|yes|no)\b|-?\b\d+(?:\.\d+)?\b|[|>][-+]?\s*$)/g;
  let last = 0;
  for (const match of rest.matchAll(token)) {
    push(null, rest.slice(last, match.index));
    const text = match[0];
    let cls = "l";
    if (text.startsWith("\"") || text.startsWith("'")) cls = "s";
    else if (text.startsWith("{{")) cls = "x";
    else if (/^\s#/.test(text)) cls = "c";
    else if (/^[|>]/.test(text)) cls = "p";
    push(cls, text);
    last = match.index + text.length;
  }
  push(null, rest.slice(last));
  return frag;
}

function visibleSeverities() {
  return new Set([...document.querySelectorAll("#filters [data-severity]")]
    .filter((box) => box.checked).map((box) => box.dataset.severity));
}

function showFile(scrollLine) {
  const view = $("file-view");
  view.replaceChildren();
  const file = fileOf(state.selected);
  $("file-name").textContent = file ? file.path : "";
  $("file-source").textContent = file && file.source ? `skeleton: ${file.source}` : "";
  $("show-file").classList.toggle("on", state.view === "file");
  $("show-diff").classList.toggle("on", state.view === "diff");
  if (!file || !state.result.ok) return;
  if (state.view === "diff" || file.removed) {
    showDiff(view, file);
    return;
  }
  if (file.text === null) {
    view.append(el("span", { class: "muted", text: `(binary, ${file.size} bytes)` }));
    return;
  }
  const wanted = visibleSeverities();
  const byLine = new Map();
  for (const f of state.result.findings) {
    if (f.rendered.path !== file.path || !wanted.has(f.severity)) continue;
    const line = f.rendered.line || 1;
    byLine.set(line, [...(byLine.get(line) || []), f]);
  }
  const yaml = /\.ya?ml$/.test(file.path);
  const lines = file.text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((text, index) => {
    const number = index + 1;
    const found = byLine.get(number) || [];
    const worst = found.some((f) => f.severity === "error") ? "error"
      : found.some((f) => f.severity === "warning") ? "warning" : found.length ? "note" : "";
    const row = el("div", { class: `line ${worst ? `sev-${worst}` : ""}`, id: `L${number}` },
      el("span", { class: "n", text: String(number) }),
      el("span", { class: "t" }, yaml ? highlightYaml(text) : text));
    view.append(row);
    for (const f of found) {
      view.append(el("div", { class: `inline sev-${f.severity}` },
        `${f.rule} ${f.message}`,
        f.source ? el("span", { class: "src", text: ` [skeleton ${place(f.source)}]` }) : null));
    }
  });
  const target = scrollLine && $(`L${scrollLine}`);
  if (target) target.scrollIntoView({ block: "center" });
}

function showDiff(view, file) {
  if (!file.diff) {
    view.append(el("span", { class: "muted", text: "Same as the baseline." }));
    return;
  }
  for (const line of file.diff.split("\n")) {
    const cls = line.startsWith("+++") || line.startsWith("---") ? "dh"
      : line.startsWith("@@") ? "dr" : line.startsWith("+") ? "da"
        : line.startsWith("-") ? "dd" : "";
    view.append(el("div", { class: `line ${cls}` }, el("span", { class: "t", text: line })));
  }
}

function place(loc) {
  let text = loc.path;
  if (loc.line) text += `:${loc.line}`;
  if (loc.approximate) text += " (approximate)";
  return text;
}

// ---------------------------------------------------------------- findings

function showFindings(result) {
  const list = $("findings");
  list.replaceChildren();
  const counts = { error: 0, warning: 0, note: 0 };
  const wanted = visibleSeverities();
  for (const f of result.findings || []) {
    counts[f.severity] += 1;
    if (!wanted.has(f.severity)) continue;
    const item = el("li", {
      class: `finding sev-${f.severity}`, "data-path": f.rendered.path,
      "data-line": f.rendered.line || 1,
    }, el("span", { class: "where", text: place(f.rendered) }), " ",
    el("strong", { text: f.rule }), ` ${f.message}`,
    f.source ? el("div", { class: "src", text: `skeleton ${place(f.source)}` }) : null);
    list.append(item);
  }
  for (const [severity, count] of Object.entries(counts)) {
    $(`count-${severity}`).textContent = String(count);
  }
  const skipped = Object.entries(result.skipped || {});
  $("skipped").textContent = skipped.length
    ? `Skipped: ${skipped.map(([k, v]) => `${k} (${v})`).join("; ")}` : "";
  $("baseline-error").textContent = (result.baseline && result.baseline.error) || "";
}

function setupFindings() {
  $("findings").addEventListener("click", (event) => {
    const item = event.target.closest("li.finding");
    if (!item || !state.result) return;
    const output = state.result.outputs.find(
      (o) => o.files.some((f) => f.path === item.dataset.path));
    if (!output) return;
    state.selected = { output: output.name, path: item.dataset.path };
    state.view = "file";
    showTree(state.result);
    showFile(Number(item.dataset.line));
  });
  $("filters").addEventListener("change", () => {
    if (!state.result) return;
    showFindings(state.result);
    showFile();
  });
  $("show-file").addEventListener("click", () => { state.view = "file"; showFile(); });
  $("show-diff").addEventListener("click", () => { state.view = "diff"; showFile(); });
}

// ---------------------------------------------------------------- write

function setupWrite(target) {
  if (!target) return;
  $("write-box").hidden = false;
  $("write").textContent = `Write to ${target}`;
  $("write").addEventListener("click", async () => {
    $("write-result").textContent = "Writing...";
    const answer = await api("api/write", {
      parameters: parameters(), force: $("write-force").checked,
    });
    $("write-result").textContent = answer.error
      ? `Not written: ${answer.error}` : `Written to ${answer.written}`;
  });
}

async function main() {
  const form = await api("api/form");
  state.revision = form.revision;
  const select = $("baseline");
  for (const baseline of form.baselines) {
    select.append(el("option", { value: baseline.id, text: baseline.title }));
  }
  const load = $("load-team");
  const teamOf = () => select.value.startsWith("team:") ? select.value.slice(5) : null;
  select.addEventListener("change", () => {
    load.hidden = teamOf() === null;
    render();
  });
  load.addEventListener("click", () => fillForm(form.teams[teamOf()] || {}));
  buildForm(form);
  setupFindings();
  setupWrite(form.writeTarget);
  await render();
  setTimeout(poll, POLL_MS);
}

main();

// paperradar's only script: upvote and save without reloading the page, the per-year chart, and the
// phone menu. Every button is a plain form first, so all of it works without JavaScript too.
"use strict";

// Loaded in <head>, not deferred: the mark is there before the page is drawn, so on a phone the
// menu is folded behind its button from the start (style.css); without scripts the links show.
document.documentElement.classList.add("js");

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function act(form, event) {
  event.preventDefault();
  const button = form.querySelector("button");
  const undo = form.querySelector('input[name="undo"]');
  // Not `disabled`: that would take the keyboard focus away from the button.
  if (form.getAttribute("aria-busy") === "true") return;
  form.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(form.dataset.api, {
      method: undo ? "DELETE" : "PUT",
      headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 401) {
      window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    const body = await response.json();
    if (!response.ok) {
      button.title = body.error || "that did not work";
      return;
    }
    const on = form.action.endsWith("/vote") ? body.voted : body.saved;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    if (on && !undo) {
      const hidden = document.createElement("input");
      Object.assign(hidden, { type: "hidden", name: "undo", value: "1" });
      form.appendChild(hidden);
    } else if (!on && undo) {
      undo.remove();
    }
    const count = button.querySelector(".n");
    if (count) count.textContent = body.upvotes;
    const label = button.querySelector(".label");
    if (label) label.textContent = on ? "Saved" : "Save";
  } finally {
    form.removeAttribute("aria-busy");
  }
}

function drawChart(canvas) {
  if (typeof Chart === "undefined") return;
  const years = JSON.parse(canvas.dataset.years);
  const counts = JSON.parse(canvas.dataset.counts);
  const style = getComputedStyle(document.documentElement);
  const fg = style.getPropertyValue("--muted").trim() || "#666";
  const accent = style.getPropertyValue("--accent").trim() || "#0b57d0";
  new Chart(canvas, {
    type: "bar",
    data: { labels: years, datasets: [{ label: "Citations", data: counts, backgroundColor: accent }] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: {
        x: { ticks: { color: fg }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: fg, precision: 0 } },
      },
    },
  });
}

// The profile's similar authors come after the page (a vector search): built from text nodes only.
async function loadSimilar(section) {
  const response = await fetch(section.dataset.similar, { headers: { Accept: "application/json" } });
  if (!response.ok) return; // no embeddings yet: the section already says so
  const body = await response.json();
  const list = document.createElement("ul");
  list.className = "people";
  for (const author of body.similar) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = "/authors/" + author.author_id;
    link.textContent = author.name;
    const why = document.createElement("span");
    why.className = "why";
    const papers = author.close_works === 1 ? "paper" : "papers";
    why.textContent = ` similarity ${author.score.toFixed(2)} · ${author.close_works} close ${papers}` +
      (author.coauthor ? " · co-author" : "");
    item.append(link, why);
    list.appendChild(item);
  }
  const note = section.querySelector("p");
  if (note) note.textContent = body.similar.length
    ? "Closest in meaning to these papers (embeddings); co-authors marked."
    : "No author's papers are near these.";
  section.appendChild(list);
}

// The menu button opens and closes the header's menu; Escape closes it and gives the button focus back.
function menuButton(button) {
  const header = button.closest("header");
  const show = (open) => {
    header.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  };
  button.addEventListener("click", () => show(!header.classList.contains("open")));
  header.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !header.classList.contains("open")) return;
    show(false);
    button.focus();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("header .menu-button").forEach(menuButton);
  document.querySelectorAll("section[data-similar]").forEach(loadSimilar);
  document.querySelectorAll("form.act[data-api]").forEach((form) => {
    form.addEventListener("submit", (event) => act(form, event));
  });
  document.querySelectorAll("canvas[data-years]").forEach(drawChart);
});

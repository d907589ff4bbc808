// The map of the corpus (/map): a Chart.js scatter of /api/v1/map, one dataset per category plus
// the visitor's library on top; typing highlights matching titles, a click opens the paper.
"use strict";

const MAP_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#3f51b5"];
const MAP_OTHER = "#9e9e9e";
const MAP_FADED = "rgba(158,158,158,0.15)";

function mapDatasets(body) {
  const byCategory = new Map(body.categories.map((c) => [c, []]));
  const saved = [];
  for (const p of body.points) {
    const point = { x: p.x, y: p.y, title: p.title, href: p.href, category: p.category };
    byCategory.get(p.category).push(point);
    if (p.in_library) saved.push(point);
  }
  const sets = body.categories.map((name, i) => {
    const colour = name === "other" ? MAP_OTHER : MAP_COLOURS[i % MAP_COLOURS.length];
    return { label: name, data: byCategory.get(name), colour, backgroundColor: colour,
      borderWidth: 0, pointRadius: 2.5, pointHoverRadius: 5 };
  });
  sets.push({ label: "Your library", data: saved, colour: "transparent", backgroundColor: "transparent",
    borderColor: "#000", borderWidth: 2, pointRadius: 5, pointHoverRadius: 7, library: true });
  return sets;
}

function highlight(chart, words, status, total) {
  let matching = 0;
  for (const set of chart.data.datasets) {
    if (set.library) continue;
    if (!words.length) {
      set.backgroundColor = set.colour;
      set.pointRadius = 2.5;
      continue;
    }
    const hit = set.data.map((p) => words.every((w) => p.title.toLowerCase().includes(w)));
    matching += hit.filter(Boolean).length;
    set.backgroundColor = hit.map((h) => (h ? set.colour : MAP_FADED));
    set.pointRadius = hit.map((h) => (h ? 5 : 2));
  }
  chart.update();
  status.textContent = words.length
    ? `${matching.toLocaleString()} of ${total.toLocaleString()} papers match`
    : `${total.toLocaleString()} papers`;
  chart.canvas.dataset.matching = String(matching);
}

// The legend keeps each category's own colour while a search fades most of its points.
function legendLabels(chart) {
  return Chart.defaults.plugins.legend.labels.generateLabels(chart).map((label) => {
    const set = chart.data.datasets[label.datasetIndex];
    return set.library ? label : { ...label, fillStyle: set.colour };
  });
}

async function drawMap(canvas) {
  if (typeof Chart === "undefined") return;
  const response = await fetch(canvas.dataset.src, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const body = await response.json();
  const fg = getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#666";
  const chart = new Chart(canvas, {
    type: "scatter",
    data: { datasets: mapDatasets(body) },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { display: false }, y: { display: false } },
      plugins: {
        legend: { position: "bottom", labels: { color: fg, boxWidth: 10, generateLabels: legendLabels } },
        tooltip: { callbacks: { label: (item) => `${item.raw.title} (${item.raw.category})` } },
      },
      onHover: (event, found) => { canvas.style.cursor = found.length ? "pointer" : "default"; },
      onClick: (event, found) => {
        if (!found.length) return;
        const { datasetIndex, index } = found[0];
        window.location.assign(chart.data.datasets[datasetIndex].data[index].href);
      },
    },
  });
  canvas.dataset.points = String(body.points.length);
  const input = document.getElementById("map-find");
  const status = document.querySelector(".map-count");
  input.addEventListener("input", () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    highlight(chart, words, status, body.points.length);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("map");
  if (canvas) drawMap(canvas);
});

// Dashboard charts, drawn from the same rows as the tables beside them (JSON in the figures
// block's data-charts). A filter change swaps the figures block through htmx; the charts are
// then drawn again from the new rows. Canvases have no id on purpose: htmx would copy the old
// canvas's style attribute onto the new one, which the Content-Security-Policy forbids.
"use strict";

const COLOURS = ["#0d6efd", "#198754", "#d63384", "#fd7e14", "#6f42c1", "#20c997"];

function redraw(name, config) {
  const canvas = document.querySelector(`canvas[data-chart="${name}"]`);
  if (!canvas) return;
  const old = Chart.getChart(canvas);
  if (old) old.destroy();
  new Chart(canvas, config);
}

function drawCharts() {
  const source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") return;
  // Charts whose canvas a swap removed would otherwise live on.
  Object.values(Chart.instances).forEach((chart) => { if (!chart.canvas.isConnected) chart.destroy(); });
  const data = JSON.parse(source.dataset.charts);
  const pipelines = [...new Set(data.funnel.map((row) => row.pipeline))];
  redraw("funnel", {
    type: "bar",
    data: {
      labels: data.funnel.map((row) => (pipelines.length > 1 ? `${row.pipeline}: ${row.stage}` : row.stage)),
      datasets: [{
        label: "Deals that reached the stage",
        data: data.funnel.map((row) => row.reached),
        backgroundColor: data.funnel.map((row) => COLOURS[pipelines.indexOf(row.pipeline) % COLOURS.length]),
      }],
    },
    options: { indexAxis: "y", maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } },
  });
  const months = [...new Set(data.velocity.map((row) => row.month))];
  const currencies = [...new Set(data.velocity.map((row) => row.currency))];
  redraw("velocity", {
    type: "line",
    data: {
      labels: months,
      datasets: currencies.map((currency, index) => ({
        label: `${currency} per day`,
        data: months.map((month) => {
          const row = data.velocity.find((r) => r.month === month && r.currency === currency);
          return row ? row.velocity : null;
        }),
        borderColor: COLOURS[index % COLOURS.length],
        backgroundColor: COLOURS[index % COLOURS.length],
        spanGaps: true,
      })),
    },
    options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } },
  });
}

document.addEventListener("DOMContentLoaded", drawCharts);
// Only the dashboard loads this file, so any settled swap may have brought new figures.
document.body.addEventListener("htmx:afterSettle", drawCharts);

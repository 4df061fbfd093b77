// The live quality page: draws the figures the server embedded (#quality-data) with Chart.js
// (served from this app, see service/static/vendor/chartjs). No request of its own.
(function () {
  "use strict";

  const COLOURS = ["#1f4e8c", "#b3261e", "#17703a", "#a15c00", "#6b3fa0", "#00798c", "#5d6675"];

  function percent(value) {
    return value === null || value === undefined ? null : Math.round(value * 10000) / 100;
  }

  function lineOptions(yTitle, extra) {
    return Object.assign({
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } },
    }, extra || {});
  }

  function draw() {
    const source = document.getElementById("quality-data");
    if (!source || typeof Chart === "undefined") return;
    const figures = JSON.parse(source.textContent);
    const days = figures.daily.map((d) => d.day.slice(5));

    const spot = figures.daily.map((d) => d.spot_checks);
    new Chart(document.getElementById("chart-miss"), {
      type: "line",
      data: {
        labels: days,
        datasets: [
          { label: "95 % interval, low", data: spot.map((s) => s.interval ? percent(s.interval[0]) : null),
            borderColor: "rgba(179,38,30,0.25)", pointRadius: 0, fill: false, spanGaps: true },
          { label: "95 % interval, high", data: spot.map((s) => s.interval ? percent(s.interval[1]) : null),
            borderColor: "rgba(179,38,30,0.25)", backgroundColor: "rgba(179,38,30,0.12)",
            pointRadius: 0, fill: "-1", spanGaps: true },
          { label: "Miss rate", data: spot.map((s) => percent(s.miss_rate)),
            borderColor: "#b3261e", backgroundColor: "#b3261e", spanGaps: true },
        ],
      },
      options: lineOptions("% of auto-published comments"),
    });

    const categories = new Set();
    figures.daily.forEach((d) => Object.keys(d.categories).forEach((c) => categories.add(c)));
    new Chart(document.getElementById("chart-precision"), {
      type: "line",
      data: {
        labels: days,
        datasets: Array.from(categories).sort().map((category, n) => ({
          label: category.replace(/_/g, " "),
          data: figures.daily.map((d) => d.categories[category] ? percent(d.categories[category].precision) : null),
          borderColor: COLOURS[n % COLOURS.length], backgroundColor: COLOURS[n % COLOURS.length],
          spanGaps: true,
        })),
      },
      options: lineOptions("% of holds confirmed", { scales: { y: { min: 0, max: 100,
        title: { display: true, text: "% of holds confirmed" } } } }),
    });

    new Chart(document.getElementById("chart-volume"), {
      type: "bar",
      data: {
        labels: days,
        datasets: [
          { label: "Published by the model", data: figures.daily.map((d) => d.approved), backgroundColor: "#9db4d6" },
          { label: "Held", data: figures.daily.map((d) => d.held), backgroundColor: "#e0a23b" },
          { label: "Rejected", data: figures.daily.map((d) => d.rejected), backgroundColor: "#b3261e" },
          { label: "Spot checks answered", data: spot.map((s) => s.checked), backgroundColor: "#17703a",
            stack: "checks" },
        ],
      },
      options: lineOptions("comments", { scales: { x: { stacked: true }, y: { stacked: true,
        beginAtZero: true, title: { display: true, text: "comments" } } } }),
    });

    const times = figures.daily.map((d) => d.time_to_decision);
    new Chart(document.getElementById("chart-time"), {
      type: "line",
      data: {
        labels: days,
        datasets: [
          { label: "Model", data: times.map((t) => t.model_median_seconds), borderColor: "#1f4e8c",
            backgroundColor: "#1f4e8c", spanGaps: true },
          { label: "People (held comments)", data: times.map((t) => t.people_median_seconds),
            borderColor: "#a15c00", backgroundColor: "#a15c00", spanGaps: true },
        ],
      },
      options: lineOptions("seconds", { scales: { y: { type: "logarithmic",
        title: { display: true, text: "seconds" } } } }),
    });
    document.body.dataset.charts = "4";  // for tests and tools: every chart is drawn
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

/* Dashboard: the trend chart (Chart.js, vendored) and sortable tables. No data is fetched:
   everything comes from the page (json_script), so the chart shows the numbers of the tiles. */
(function () {
  "use strict";

  function drawTrend() {
    var canvas = document.getElementById("trend-chart");
    var source = document.getElementById("trend-data");
    if (!canvas || !source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var colours = { nps: "#0d6efd", csat: "#198754" };
    var datasets = [];
    data.series.forEach(function (series) {
      datasets.push({
        label: series.label,
        data: series.points.map(function (p) { return { x: p.x, y: p.y, n: p.n }; }),
        borderColor: colours[series.key], backgroundColor: colours[series.key],
        spanGaps: true, tension: 0.2, yAxisID: series.key === "nps" ? "nps" : "pct"
      });
      if (series.target !== null) {
        datasets.push({
          label: series.label + " — target",
          data: series.points.map(function (p) { return { x: p.x, y: series.target }; }),
          borderColor: colours[series.key], borderDash: [6, 4], pointRadius: 0, borderWidth: 1,
          yAxisID: series.key === "nps" ? "nps" : "pct"
        });
      }
    });
    var labels = data.series.length ? data.series[0].points.map(function (p) { return p.x; }) : [];
    var actionMarks = {
      id: "actionMarks",
      afterDatasetsDraw: function (chart) {
        var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
        data.actions.forEach(function (action) {
          // The action's bucket: the last label on or before its start day.
          var index = -1;
          labels.forEach(function (label, i) { if (label <= action.x) { index = i; } });
          if (index < 0) { return; }
          var px = x.getPixelForValue(index);
          ctx.save();
          ctx.strokeStyle = "#d63384"; ctx.setLineDash([2, 3]);
          ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
          ctx.fillStyle = "#d63384"; ctx.font = "11px sans-serif";
          ctx.fillText(action.label.slice(0, 30), px + 3, area.top + 10);
          ctx.restore();
        });
      }
    };
    var chart = new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        maintainAspectRatio: false, animation: false, parsing: { xAxisKey: "x", yAxisKey: "y" },
        scales: {
          nps: { position: "left", min: -100, max: 100, title: { display: true, text: "NPS" } },
          pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "%" } }
        },
        plugins: {
          tooltip: { callbacks: { afterLabel: function (item) { return item.raw.n !== undefined ? "n = " + item.raw.n : ""; } } }
        }
      },
      plugins: [actionMarks]
    });
    canvas.dataset.drawn = chart ? "1" : "";
  }

  function sortable(table) {
    var headers = table.querySelectorAll("th[data-sort]");
    headers.forEach(function (th, column) {
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var ca = a.cells[column], cb = b.cells[column];
          if (th.dataset.sort === "number") {
            var va = ca.dataset.value === "" ? null : parseFloat(ca.dataset.value);
            var vb = cb.dataset.value === "" ? null : parseFloat(cb.dataset.value);
            if (va === null) { return 1; }  // hidden small samples sort last either way
            if (vb === null) { return -1; }
            return ascending ? va - vb : vb - va;
          }
          return ascending ? ca.textContent.localeCompare(cb.textContent) : cb.textContent.localeCompare(ca.textContent);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  }

  drawTrend();
  document.querySelectorAll("table[data-sortable]").forEach(sortable);
})();

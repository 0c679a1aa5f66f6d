/* Draws the figures page's charts with Chart.js from the JSON the server put in #figures-data. */
(function () {
  "use strict";
  var source = document.getElementById("figures-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#1f4e79", "#c55a11", "#7f7f7f", "#548235"];
  var lang = document.documentElement.lang || "fr";

  data.charts.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) {
      return;
    }
    var horizontal = Boolean(spec.horizontal);
    var valueAxis = horizontal ? "x" : "y";
    var categoryAxis = horizontal ? "y" : "x";
    var scales = {};
    scales[categoryAxis] = {
      stacked: Boolean(spec.stacked),
      title: { display: true, text: horizontal ? spec.y_title : spec.x_title }
    };
    scales[valueAxis] = {
      stacked: Boolean(spec.stacked),
      beginAtZero: true,
      ticks: { precision: 0 },
      title: { display: true, text: horizontal ? spec.x_title : spec.y_title }
    };
    new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: palette[index % palette.length]
          };
        })
      },
      options: {
        locale: lang,
        indexAxis: categoryAxis,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          title: { display: true, text: spec.title, font: { size: 16 } },
          legend: { display: spec.datasets.length > 1, position: "bottom" }
        }
      }
    });
  });
})();

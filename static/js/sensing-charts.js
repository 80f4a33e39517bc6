/* Citizen sensing: interactive charts drawn with the vendored uPlot over the server's chart.
   Each <figure class="chart" data-series="..."> holds its series (times in seconds, mean, lowest, highest);
   without JavaScript the server's SVG and the data table beside it say the same. */
(function () {
  "use strict";
  if (typeof uPlot === "undefined") { return; }
  document.querySelectorAll("figure.chart[data-series]").forEach(function (figure) {
    var series;
    try { series = JSON.parse(figure.getAttribute("data-series")); } catch (e) { return; }
    if (!series.x || series.x.length < 2) { return; }
    var holder = document.createElement("div");
    holder.className = "chart-live";
    holder.setAttribute("aria-hidden", "true"); /* the table is the text alternative */
    var svg = figure.querySelector("svg");
    figure.insertBefore(holder, svg);
    var width = Math.min(figure.clientWidth || 640, 720);
    new uPlot({
      width: width, height: 240,
      series: [
        {},
        { label: series.label + " (" + series.unit + ")", stroke: "#1d70b8", width: 2 },
        { label: series.lowest, stroke: "#505a5f", dash: [4, 4] },
        { label: series.highest, stroke: "#d4351c", dash: [4, 4] }
      ],
      axes: [{}, { label: series.unit }]
    }, [series.x, series.mean, series.min, series.max], holder);
    if (svg) { svg.setAttribute("hidden", ""); }
  });
}());

// A click on a heatmap cell or a bubble lists its initiatives: each point carries, in its customdata, the
// link to the table filtered to it (the first item when it carries more). See initiatives/portfolio/figures.py.
["portfolio-heatmap", "portfolio-value-risk"].forEach(function (id) {
  var chart = document.getElementById(id);
  if (!chart || !chart.on) return;
  chart.on("plotly_click", function (event) {
    var data = event.points[0].customdata;
    var link = Array.isArray(data) ? data[0] : data;
    if (link) window.location.assign(link + "#initiatives");
  });
});

// Charts drawn for the screen are redrawn to the paper's width, and back.
["beforeprint", "afterprint"].forEach(function (moment) {
  window.addEventListener(moment, function () {
    document.querySelectorAll(".js-plotly-plot").forEach(function (chart) {
      Plotly.Plots.resize(chart);
    });
  });
});

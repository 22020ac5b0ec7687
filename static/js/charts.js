// Draws every Plotly figure on the page: <div data-figure="id-of-json-script"></div>. The chart is an image
// with a text alternative beside it (its caption and a "Show data" table), so Plotly's mode bar, whose buttons
// a keyboard would reach inside that image, is left out.
document.querySelectorAll("[data-figure]").forEach(function (el) {
  var source = document.getElementById(el.dataset.figure);
  if (!source || !window.Plotly) return;
  var figure = JSON.parse(source.textContent);
  Plotly.newPlot(el, figure.data, figure.layout, { displaylogo: false, displayModeBar: false, responsive: true });
});

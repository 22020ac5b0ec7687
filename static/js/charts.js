// Draws every Plotly figure on the page: <div data-figure="id-of-json-script"></div>.
document.querySelectorAll("[data-figure]").forEach(function (el) {
  var source = document.getElementById(el.dataset.figure);
  if (!source || !window.Plotly) return;
  var figure = JSON.parse(source.textContent);
  Plotly.newPlot(el, figure.data, figure.layout, { displaylogo: false, responsive: true });
});

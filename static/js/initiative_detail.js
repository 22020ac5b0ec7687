// Links from before the initiative page had tabs point at a section of the one long page (#assets):
// open the tab that holds that section. Without JavaScript such a link opens the overview.
(function () {
  var id = decodeURIComponent(location.hash.slice(1));
  if (!id || document.getElementById(id)) return;
  var links = document.querySelectorAll(".tabs a[data-sections]");
  for (var i = 0; i < links.length; i++) {
    if (links[i].dataset.sections.split(" ").indexOf(id) >= 0) {
      location.replace(links[i].href + "#" + id);
      return;
    }
  }
})();

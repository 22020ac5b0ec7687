// The "Copy key" button of a new API token. Without the Clipboard API (no script, or a plain-HTTP page
// that is not localhost) the button stays hidden and the key is selectable text: one click selects it.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  var source = document.getElementById(button.dataset.copy);
  var status = button.parentElement.querySelector(".copy-status");
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () { status.textContent = "Copied to the clipboard."; },
      function () { status.textContent = "Could not copy: select the key and copy it."; }
    );
  });
});

// Kordon console helpers (vendored, no CDN): copy-to-clipboard buttons.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copyTarget);
  if (!field) return;
  field.select();
  const done = function () {
    const status = document.getElementById(button.dataset.copyTarget + "-status");
    if (status) status.textContent = "Copied to the clipboard.";
    button.textContent = "Copied";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

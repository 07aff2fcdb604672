// The print button of the proofreading page (no inline script: a strict CSP comes later).
document.querySelectorAll("[data-action=print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});

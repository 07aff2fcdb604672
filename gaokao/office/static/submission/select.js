// "Select all" for the page's rows.
document.querySelectorAll("[data-select-all]").forEach((box) => {
  box.addEventListener("change", () => {
    box.closest("form").querySelectorAll("input[name=c]").forEach((c) => { c.checked = box.checked; });
  });
});

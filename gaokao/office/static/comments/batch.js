// The comments batch screen (#comment-batch), for the keyboard:
// - each row's template picker inserts the chosen template into the row's comment; choosing
//   another one (arrow keys in the closed list) replaces what the picker inserted, so the
//   list can be browsed; "—" takes it out again;
// - Enter in a comment jumps to the next row's comment (a comment is one paragraph),
//   Ctrl+Enter (or Cmd+Enter) saves the page;
// - a counter under each comment shows its length against the limit.
// Without this script the page still works: the pickers stay disabled.
(function () {
  "use strict";

  var form = document.getElementById("comment-batch");
  if (!form) { return; }
  var source = document.getElementById("comment-templates");
  var templates = source ? JSON.parse(source.textContent) : {};
  var limit = parseInt(form.dataset.limit, 10);
  var comments = Array.prototype.slice.call(form.querySelectorAll("textarea[data-role=comment]"));

  function count(area) {
    var counter = form.querySelector("[data-role=count][data-for='" + area.id + "']");
    if (!counter) { return; }
    // Line breaks are dropped when saving; count what will be stored.
    var length = Array.from(area.value.replace(/[\r\n]/g, "").trim()).length;
    counter.textContent = length + " / " + limit;
    counter.classList.toggle("text-danger", length > limit);
  }

  form.querySelectorAll("select[data-role=template]").forEach(function (select) {
    var area = document.getElementById(select.dataset.target);
    if (!area || area.readOnly) { return; }
    select.disabled = false;
    select.addEventListener("change", function () {
      var inserted = area.dataset.inserted || "";
      var value = area.value;
      if (inserted && value.slice(-inserted.length) === inserted) {
        value = value.slice(0, value.length - inserted.length);
      }
      var text = Object.prototype.hasOwnProperty.call(templates, select.value)
        ? templates[select.value] : "";
      area.value = value + text;
      area.dataset.inserted = text;
      count(area);
    });
  });

  comments.forEach(function (area, index) {
    count(area);
    area.addEventListener("input", function () { count(area); });
    area.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey || event.altKey) { return; }
      event.preventDefault();
      if (event.ctrlKey || event.metaKey) {
        form.requestSubmit();
        return;
      }
      var next = comments[index + 1];
      if (next) { next.focus(); }
    });
  });
})();

// Destructive steps ask first: a form or a button with data-confirm="question".
document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  const question = (button && button.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

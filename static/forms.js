// The error summary of a refused form: it takes the focus when the page loads, so that a phone
// shows it first and a screen reader reads it; its links move to their field and focus it.
const summary = document.getElementById("error-summary");
if (summary) {
  summary.focus();
  summary.addEventListener("click", (ev) => {
    const link = ev.target.closest("a[href^='#']");
    if (!link) return;
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    ev.preventDefault();
    // A row or a group of choices: its first control.
    const control = target.matches("input, select, textarea, button")
      ? target
      : target.querySelector("input:not([type=hidden]), select, textarea");
    const details = target.closest("details");
    if (details) details.open = true;
    (target.closest(".field, fieldset, .row") || target).scrollIntoView({ block: "start" });
    if (control) {
      control.focus({ preventScroll: true });
    } else {
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
    }
  });
}

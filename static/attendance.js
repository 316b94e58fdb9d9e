// The roster: a tap is sent in the background and the row and the counter update in place.
// Without this script the same forms post and the page reloads.
document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (!form.matches("form[data-tap]")) return;
  ev.preventDefault();
  const data = new URLSearchParams(new FormData(form, ev.submitter));
  const row = form.closest("[data-person]");
  const status = document.getElementById("roster-status");
  row.classList.add("busy");
  try {
    const res = await fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const body = await res.json();
    if (!res.ok) {
      status.textContent = body.error || res.statusText;
      return;
    }
    status.textContent = "";
    const mark = data.get("mark");
    if (mark === "undo") row.dataset.state = "";
    else if (mark === "left_early") row.classList.toggle("left-early");
    else row.dataset.state = mark;
    const label = row.querySelector("[data-state-label]");
    if (label && ev.submitter && mark !== "left_early") label.textContent = mark === "undo" ? "" : ev.submitter.textContent;
    for (const [key, value] of Object.entries(body)) {
      for (const el of document.querySelectorAll(`[data-count="${key}"]`)) el.textContent = value;
    }
  } catch (e) {
    status.textContent = String(e);
  } finally {
    row.classList.remove("busy");
  }
});

// The roster's name filter: shows the people whose line contains what is typed.
document.addEventListener("input", (ev) => {
  if (ev.target.id !== "roster-filter") return;
  const q = ev.target.value.trim().toLowerCase();
  for (const li of document.querySelectorAll("[data-person]")) {
    li.hidden = q !== "" && !li.querySelector(".who").textContent.toLowerCase().includes(q);
  }
});

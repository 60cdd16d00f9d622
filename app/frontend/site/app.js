"use strict";
// Asks the backend (/api, through the load balancer) what it sees, records a visit, and writes and reads notes.

function show(id, text, good) {
  const element = document.getElementById(id);
  element.textContent = text;
  if (good !== undefined) element.className = good ? "ok" : "bad";
}

async function api(path, options) {
  const response = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `${response.status}`);
  return body;
}

async function status() {
  try {
    const answer = await api("/api/status");
    const healthy = Object.values(answer.health).every((v) => v === "ok");
    show("health", healthy ? "healthy: database ok, cache ok" : JSON.stringify(answer.health), healthy);
    show("client", answer.client);
    show("shards", String(answer.shards));
    const visit = await api("/api/visits", { method: "POST", body: "{}" });
    show("visits", `${visit.visitsFromClient} (this one recorded on shard ${visit.shard})`);
  } catch (error) {
    show("health", `the backend did not answer: ${error.message}`, false);
  }
}

async function readNotes(user, expectedId, attempts) {
  const answer = await api(`/api/notes?user=${encodeURIComponent(user)}`);
  if (expectedId !== undefined && !answer.notes.some((n) => n.id === expectedId) && attempts > 0) {
    // A replica may lag its primary by a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return readNotes(user, expectedId, attempts - 1);
  }
  const list = document.getElementById("notes");
  list.replaceChildren(...answer.notes.map((note) => {
    const item = document.createElement("li");
    item.textContent = `${note.text} (from ${note.client}, read from ${answer.readFrom})`;
    return item;
  }));
}

document.addEventListener("DOMContentLoaded", () => {
  status();
  document.getElementById("note").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const user = form.get("user");
    try {
      const written = await api("/api/notes", {
        method: "POST",
        body: JSON.stringify({ user, text: form.get("text") }),
      });
      show("written", `written to shard ${written.shard} (${written.writtenTo})`, true);
      await readNotes(user, written.id, 20);
    } catch (error) {
      show("written", `not written: ${error.message}`, false);
    }
  });
});

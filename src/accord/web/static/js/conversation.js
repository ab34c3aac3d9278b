// The two-screen conversation: both screens re-read their panel whenever the conversation's
// event stream (server-sent events from the database's event log) reports a change. The
// browser's EventSource reconnects by itself and resumes with Last-Event-ID.
(function () {
  "use strict";
  var panel = document.getElementById("conversation-panel");
  if (!panel || !window.EventSource) { return; }
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(panel.dataset.panel, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== undefined) {
          panel.innerHTML = html;
          panel.dataset.refreshed = String((Number(panel.dataset.refreshed) || 0) + 1);
        }
      })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource(panel.dataset.conversationStream);
  source.addEventListener("conversation", function (event) {
    var data = JSON.parse(event.data);
    if (data.kind === "tablet-left" || data.kind === "ended") {
      // The page's own forms change with the conversation's state.
      window.location.reload();
      return;
    }
    refresh();
  });
})();

// Starts GraphiQL on the page served at GET /graphql (crates/api/src/graphiql.rs). It is a file of
// its own, not an inline script, so that the page's Content-Security-Policy can allow scripts
// from this server only ('self') and no inline script at all. The endpoints come from the
// page's data attributes.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  function absolute(path, websocket) {
    var url = new URL(path, window.location.href);
    if (websocket) {
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    }
    return url.toString();
  }
  var fetcher = GraphiQL.createFetcher({
    url: absolute(root.dataset.endpoint, false),
    subscriptionUrl: absolute(root.dataset.subscriptionEndpoint, true),
  });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
    }),
  );
})();

/* Starts GraphiQL. Kept out of index.html so the page works under a strict
 * Content-Security-Policy (script-src 'self'). The endpoint comes from the
 * <meta name="graphiql-endpoint"> tag that the server fills in.
 *
 * Queries and mutations go over HTTP, subscriptions over graphql-ws to the same
 * endpoint on this page's host; the headers typed in the Headers tab go with both:
 * as HTTP headers, and as the websocket's connection_init payload, which is where
 * the server reads a socket's Authorization. GraphiQL keeps the documents,
 * variables and headers in this browser's localStorage. */
(function () {
  'use strict';

  var meta = document.querySelector('meta[name="graphiql-endpoint"]');
  var endpoint = (meta && meta.getAttribute('content')) || '/graphql';
  var socketUrl = new URL(endpoint, window.location.href);
  socketUrl.protocol = socketUrl.protocol === 'https:' ? 'wss:' : 'ws:';

  var defaultQuery = [
    '# Welcome to GraphiQL.',
    '#',
    '# Run a query: Ctrl-Enter (Cmd-Enter) or the',
    '# play button. Autocomplete: Ctrl-Space.',
    '# Build one by ticking fields: the explorer',
    '# (folder icon on the left); schema docs: the',
    '# book icon.',
    '#',
    '# Log in first (demo users have the password',
    '# "demo-password"; `aiplatform demo-data` prints one),',
    '# then put the token in "Headers" below:',
    '#   {"Authorization": "Bearer <accessToken>"}',
    '# Documents and headers are saved in this browser.',
    '#',
    '# Subscriptions run here too, over a websocket:',
    '#   subscription { runProgress(runId: "...") { __typename } }',
    '',
    'mutation LogIn {',
    '  logIn(input: {login: "ava.mensah", password: "demo-password"}) {',
    '    accessToken',
    '    userErrors { field message code }',
    '  }',
    '}',
    '',
    'query Organizations {',
    '  organizations(first: 5) {',
    '    totalCount',
    '    edges { node { id name members(first: 3) { edges { node { role user { username } } } } } }',
    '  }',
    '}',
    '',
  ].join('\n');

  // One websocket client per set of headers: a socket authenticates once, in its
  // connection_init, so new headers need a new socket. GraphiQL runs one operation
  // at a time, so the client left behind is idle and can go.
  var socket = { key: null, client: null };

  function socketClient(headers) {
    var params = headers || {};
    var key = JSON.stringify(params);
    if (socket.key !== key) {
      if (socket.client) socket.client.dispose();
      socket.key = key;
      socket.client = graphqlWs.createClient({
        url: socketUrl.href,
        connectionParams: params,
        lazy: true,
        retryAttempts: 0,
      });
    }
    return socket.client;
  }

  function fetcher(graphQLParams, options) {
    var headers = options && options.headers;
    return GraphiQL.createFetcher({
      url: endpoint,
      subscriptionUrl: socketUrl.href,
      wsClient: socketClient(headers),
    })(graphQLParams, options);
  }

  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      plugins: [explorer],
      visiblePlugin: explorer,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();

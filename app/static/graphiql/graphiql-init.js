/* Starts GraphiQL. Kept out of index.html so the page works under a strict
 * Content-Security-Policy (script-src 'self'). The endpoint comes from the
 * <meta name="graphiql-endpoint"> tag that the server fills in. */
(function () {
  'use strict';

  var meta = document.querySelector('meta[name="graphiql-endpoint"]');
  var endpoint = (meta && meta.getAttribute('content')) || '/graphql';

  var defaultQuery = [
    '# Welcome to GraphiQL.',
    '#',
    '# Run a query: Ctrl-Enter (Cmd-Enter) or the',
    '# play button. Autocomplete: Ctrl-Space.',
    '# Schema docs: the top icon on the left.',
    '#',
    '# Log in first (demo users have the password',
    '# "demo-password"; `aiplatform demo-data` prints one),',
    '# then put the token in "Headers" below:',
    '#   {"Authorization": "Bearer <accessToken>"}',
    '# Headers are saved in this browser.',
    '# (Subscriptions: use a websocket client.)',
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

  var fetcher = GraphiQL.createFetcher({ url: endpoint });

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();

// A real OpenID provider for the single sign-on tests: panva's oidc-provider (an OpenID
// certified implementation) with its development login and consent pages.
//
//   node provider.mjs PORT CLIENTS_JSON
//
// CLIENTS_JSON: the registered clients ([{client_id, client_secret, redirect_uris}, ...]).
// Any login is accepted with any password. The account's subject is the login; its email is
// the login (or login@example.com), verified unless the login starts with "unverified";
// `aiplatform_roles` (scope `roles`) is taken from the ROLES environment variable, a JSON
// object of login -> list of "organization-slug:role".
import Provider from "oidc-provider";

const [port, clientsJson] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const roles = JSON.parse(process.env.ROLES || "{}");

const provider = new Provider(issuer, {
  clients: JSON.parse(clientsJson).map((client) => ({
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    ...client,
  })),
  pkce: { required: () => true },
  cookies: { keys: ["test-cookie-key-not-secret"] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "given_name", "family_name", "preferred_username", "locale"],
    roles: ["aiplatform_roles"],
  },
  scopes: ["openid", "email", "profile", "roles", "offline_access"],
  conformIdTokenClaims: false, // the ID token carries the scopes' claims too
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const email = sub.includes("@") ? sub : `${sub}@example.com`;
    const local = email.split("@")[0];
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email,
          email_verified: !sub.startsWith("unverified"),
          name: `${local} Example`,
          given_name: local,
          family_name: "Example",
          preferred_username: local,
          locale: "zh-CN",
          aiplatform_roles: roles[sub] || [],
        };
      },
    };
  },
});
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

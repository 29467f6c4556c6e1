"""Generated hostile HTTP requests for /graphql (tests/http/test_hostile.py), each a kind and
an `httpx.Request`, from one seeded generator: the same seed sends the same requests, so a
failure names one that can be sent again.

Kinds: malformed JSON, bodies that are not an object, lone surrogates, documents with only
fragments, huge and deep documents, wrong variable types, unknown fields, root fields and
mutations with garbage arguments (some shaped well enough to reach the resolvers), the
planner's known path with garbage variables, persisted queries, bad media types, oversized
bodies, broken uploads, GET parameters and other methods."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, get_named_type, is_input_type

from tests.http.hostile_values import any_json, odd_string, shaped

ACCEPTS = ("application/json", "application/graphql-response+json",
           "application/graphql-response+json, application/json;q=0.9", "*/*", "nonsense/x")
KNOWN = ("query Known($first: Int, $after: String) "
         "{ organizations(first: $first, after: $after) { edges { node { id name } } } }")
SKIPPED_MUTATIONS = {"logOut", "logOutEverywhere", "changePassword"}  # the caller's own login


@dataclass(frozen=True)
class Hostile:
    kind: str
    request: httpx.Request

    def __str__(self) -> str:
        content = self.request.content if self.request.method != "GET" else b""
        return f"{self.kind}: {self.request.method} {self.request.url} {content[:300]!r}"


class Generator:
    """Requests against `url` (…/graphql), as the holder of `token`, naming `ids` now and
    then so that some garbage reaches real objects."""

    def __init__(self, url: str, schema: GraphQLSchema, token: str, ids: list[str],
                 seed: int) -> None:
        self.url, self.schema, self.ids = url, schema, ids
        self.rng = random.Random(seed)
        self.token = token

    def headers(self, content_type: str | None = "application/json") -> dict[str, str]:
        headers = {"accept": self.rng.choice(ACCEPTS)}
        if self.rng.random() < 0.8:
            headers["authorization"] = self.token
        if content_type is not None:
            headers["content-type"] = content_type
        return headers

    def post(self, kind: str, body: bytes, **headers: str) -> Hostile:
        all_headers = {**self.headers(), **{k.replace("_", "-"): v for k, v in headers.items()}}
        return Hostile(kind, httpx.Request("POST", self.url, content=body, headers=all_headers))

    def post_json(self, kind: str, value: object) -> Hostile:
        return self.post(kind, json.dumps(value).encode())

    def requests(self, count: int) -> list[Hostile]:
        """`count` requests, the kinds in proportion to their weights."""
        kinds: list[tuple[Callable[[], Hostile], int]] = [
            (self.malformed_json, 8), (self.not_an_object, 4), (self.surrogates, 4),
            (self.fragments_only, 3), (self.huge, 2), (self.deep, 3),
            (self.wrong_variables, 10), (self.unknown_field, 4), (self.garbage_root, 14),
            (self.garbage_mutation, 22), (self.known_path, 6), (self.persisted, 3),
            (self.media_type, 3), (self.multipart, 5), (self.get, 6), (self.method, 1)]
        makers = [maker for maker, weight in kinds for _ in range(weight)]
        found = [self.oversized() for _ in range(4)]
        while len(found) < count:
            found.append(self.rng.choice(makers)())
        return found

    # ------------------------------------------------------------------ bodies

    def malformed_json(self) -> Hostile:
        text = json.dumps({"query": "{ __typename }", "variables": {"a": [1, "x"]}}).encode()
        roll = self.rng.randrange(4)
        if roll == 0:
            body = text[: self.rng.randrange(1, len(text))]
        elif roll == 1:
            at = self.rng.randrange(len(text))
            body = text[:at] + bytes([self.rng.randrange(256)]) + text[at:]
        elif roll == 2:
            body = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 64)))
        else:
            body = self.rng.choice((b"", b"{", b"{'query': 1}", b'{"query": "{ a }",}',
                                    b"\xef\xbb\xbf{}", b"NaN", b'{"query": "\\x41"}'))
        return self.post("malformed JSON", body)

    def not_an_object(self) -> Hostile:
        value = self.rng.choice((1, -0.5, "x", "{ __typename }", None, True, [], [1, 2],
                                 [{"query": "{ __typename }"}], [[]], any_json(self.rng)))
        if isinstance(value, dict):
            value = [value]
        return self.post_json("not an object", value)

    def surrogates(self) -> Hostile:
        escape = self.rng.choice(("\\ud800", "\\udfff", "\\udbff\\u0041", "\\ud83d\\ude00"))
        raw = self.rng.choice((b"\xed\xa0\x80", b"\xff", b"\xc3"))
        bodies = (f'"{escape}"', f'{{"query": "{escape}"}}',
                  f'{{"query": "{{ __typename }}", "operationName": "{escape}"}}',
                  f'{{"query": "query($s: String) {{ __typename }}", '
                  f'"variables": {{"s": "{escape}"}}}}',
                  f'{{"query": "{{ organization(slug: \\"{escape}\\") {{ id }} }}"}}')
        body = self.rng.choice(bodies).encode()
        if self.rng.random() < 0.3:
            body = b'{"query": "{ __typename } # ' + raw + b'"}'
        return self.post("surrogates", body)

    def fragments_only(self) -> Hostile:
        document = self.rng.choice((
            "fragment F on Query { __typename }",
            "fragment F on Query { viewer { id } } fragment G on User { id }",
            "fragment F on Mutation { __typename }", "fragment F on Nope { x }",
            "", "   ", "# only a comment", "{ __typename } { __typename }",
            "query A { __typename } query A { __typename }"))
        value: dict[str, object] = {"query": document}
        if self.rng.random() < 0.3:
            value["operationName"] = self.rng.choice(("F", "A", "", 5, ["A"]))
        return self.post_json("fragments only", value)

    def huge(self) -> Hostile:
        roll = self.rng.randrange(4)
        if roll == 0:
            document = "{ " + " ".join("__typename" for _ in range(6000)) + " }"
        elif roll == 1:
            document = "{ " + " ".join(f"a{i}: __typename" for i in range(500)) + " }"
        elif roll == 2:
            document = '{ organization(slug: "' + "x" * 500_000 + '") { id } }'
        else:
            document = "query(" + ", ".join(f"$v{i}: Int" for i in range(1500)) + ") { __typename }"
        return self.post_json("huge document", {"query": document})

    def deep(self) -> Hostile:
        depth = self.rng.choice((30, 200, 1000, 2400))
        roll = self.rng.randrange(4)
        if roll == 0:
            document = "{ viewer { " + "organizations { edges { node { " * (depth // 4) + "id" \
                + " } } }" * (depth // 4) + " } }"
        elif roll == 1:
            document = ('{ search(query: "x", types: ' + "[" * depth + "]" * depth
                        + ") { __typename } }")
        elif roll == 2:
            document = "{ " + "a: __typename " + "{" * depth + "}" * depth + " }"
        else:
            nested: object = 1
            for _ in range(min(depth, 900)):
                nested = [nested]
            return self.post_json("deep variables", {
                "query": "query($j: JSON) { __typename }", "variables": {"j": nested}})
        return self.post_json("deep document", {"query": document})

    def oversized(self) -> Hostile:
        size = self.rng.choice((2, 4, 8)) * 1024 * 1024
        body = b'{"query": "{ __typename }", "variables": {"x": "' + b"y" * size + b'"}}'
        return self.post("oversized body", body)

    # ------------------------------------------------------------------ operations

    def fields(self, root: GraphQLObjectType | None) -> list[tuple[str, GraphQLField]]:
        return sorted((root.fields if root else {}).items())

    def operation(self, kind: str, keyword: str, name: str, field: GraphQLField) -> Hostile:
        """`field` at the root with each argument a variable holding garbage (or, now and
        then, an inline literal of the wrong kind)."""
        arguments, definitions, variables = [], [], {}
        for argument_name, argument in field.args.items():
            if not is_input_type(argument.type) or "Upload" in str(argument.type):
                continue
            if self.rng.random() < 0.1:
                literal = self.rng.choice(("1", '"x"', "[]", "{}", "null", "ENUM"))
                arguments.append(f"{argument_name}: {literal}")
                continue
            definitions.append(f"${argument_name}: {argument.type}")
            arguments.append(f"{argument_name}: ${argument_name}")
            if self.rng.random() < 0.9:
                variables[argument_name] = shaped(self.rng, argument.type, self.ids)
        selection = "" if not hasattr(get_named_type(field.type), "fields") else \
            " { __typename }"
        header = f"{keyword}({', '.join(definitions)})" if definitions else keyword
        call = f"{name}({', '.join(arguments)})" if arguments else name
        return self.post_json(kind, {"query": f"{header} {{ {call}{selection} }}",
                                     "variables": variables})

    def garbage_root(self) -> Hostile:
        name, field = self.rng.choice(self.fields(self.schema.query_type))
        return self.operation("garbage query", "query", name, field)

    def garbage_mutation(self) -> Hostile:
        choices = [(n, f) for n, f in self.fields(self.schema.mutation_type)
                   if n not in SKIPPED_MUTATIONS]
        name, field = self.rng.choice(choices)
        return self.operation("garbage mutation", "mutation", name, field)

    def wrong_variables(self) -> Hostile:
        document = self.rng.choice((
            "query($id: ID!) { node(id: $id) { id } }",
            "query($n: Int) { organizations(first: $n) { edges { node { id } } } }",
            "query($s: String!) { organization(slug: $s) { id } }",
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            "query($f: OrganizationFilter) { organizations(filter: $f) { edges { cursor } } }",
            "query($x: Nope) { __typename }", "query($x: Int) { __typename(x: $x) }",
            "query($x: Int = \"default\") { __typename }",
            "query { node(id: $undeclared) { id } }"))
        variables = self.rng.choice((any_json(self.rng), {"id": any_json(self.rng)},
                                     {"n": any_json(self.rng)}, {"s": any_json(self.rng)},
                                     {"ids": any_json(self.rng)}, {"f": any_json(self.rng)}))
        return self.post_json("wrong variable types", {"query": document, "variables": variables})

    def unknown_field(self) -> Hostile:
        document = self.rng.choice((
            "{ nope }", "{ viewer { nope } }", "{ __typename { x } }", "mutation { nope }",
            "{ organizations { nope } }", "{ node(nope: 1) { id } }", "{ viewer @nope { id } }",
            "{ ...on Nope { x } }", "{ __schema { nope } }", "subscription { nope }",
            "{ node(id: 1) }", "{ viewer }", "query { viewer { ...F } }"))
        return self.post_json("unknown fields", {"query": document})

    def known_path(self) -> Hostile:
        variables = self.rng.choice(({}, {"first": 1}, {"first": any_json(self.rng)},
                                     {"after": odd_string(self.rng)}, {"first": -5},
                                     {"first": 10**9}, {"nope": 1}, {"after": any_json(self.rng)}))
        return self.post_json("known path", {"query": KNOWN, "operationName": "Known",
                                             "variables": variables})

    def persisted(self) -> Hostile:
        extension = self.rng.choice((
            {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}},
            {"persistedQuery": {"version": 1, "sha256Hash": odd_string(self.rng)}},
            {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
            {"persistedQuery": any_json(self.rng)}, {"persistedQuery": None}))
        value: dict[str, object] = {"extensions": extension}
        if self.rng.random() < 0.5:
            value["query"] = self.rng.choice(("{ __typename }", "{ ", "fragment F on Query { a }"))
        return self.post_json("persisted query", value)

    # ------------------------------------------------------------------ transports

    def media_type(self) -> Hostile:
        content_type = self.rng.choice((
            "text/plain", "application/xml", "application/x-www-form-urlencoded",
            "application/graphql", "application/json; charset=latin-1", "", ";;;",
            "application/json; boundary=x", "multipart/mixed", "*/*"))
        headers = self.headers(content_type or None)
        return Hostile("media type", httpx.Request(
            "POST", self.url, content=b'{"query": "{ __typename }"}', headers=headers))

    def multipart(self) -> Hostile:
        headers = self.headers(None)
        headers[self.rng.choice(("apollo-require-preflight", "graphql-preflight"))] = "1"
        operations = self.rng.choice((
            '{"query": "mutation($f: Upload!) { uploadFile(file: $f) { __typename } }", '
            '"variables": {"f": null}}', "1", "[]", "{nope", '{"query": "{ __typename }"}'))
        file_map = self.rng.choice(('{"0": ["variables.f"]}', '{"0": ["variables.f.x.y"]}',
                                    '{"0": [1]}', '{"0": "variables.f"}', "[]", "5",
                                    '{"1": ["variables.f"]}', '{"0": ["0.variables.f"]}', "{}"))
        files: dict[str, tuple[str | None, bytes | str]] = {
            "operations": (None, operations), "map": (None, file_map)}
        if self.rng.random() < 0.7:
            files["0"] = ("a.txt", b"hello") if self.rng.random() < 0.7 else (None, "not a file")
        if self.rng.random() < 0.2:
            return Hostile("multipart", httpx.Request(
                "POST", self.url, content=b"--x\r\nContent-Disposition: form-data\r\n\r\n",
                headers={**headers, "content-type": self.rng.choice((
                    "multipart/form-data; boundary=x", "multipart/form-data"))}))
        return Hostile("multipart", httpx.Request("POST", self.url, files=files,
                                                  headers=headers))

    def get(self) -> Hostile:
        params: dict[str, str] = {"query": self.rng.choice((
            "{ __typename }", "{", "mutation { logOut { __typename } }",
            "fragment F on Query { __typename }", "subscription { notifications { __typename } }",
            "\udcff", "query($n: Int) { organizations(first: $n) { edges { cursor } } }"))}
        for name in ("variables", "extensions", "operationName"):
            if self.rng.random() < 0.4:
                params[name] = self.rng.choice(("{", "1", "[]", "null", '{"n": "x"}', "%",
                                                json.dumps(any_json(self.rng))))
        headers = self.headers(None)
        headers["accept"] = self.rng.choice(ACCEPTS[:3])  # */*: the IDE page for a browser
        url = httpx.URL(self.url, params={k: v.encode("utf-8", "surrogateescape").decode(
            "utf-8", "replace") for k, v in params.items()})
        return Hostile("GET", httpx.Request("GET", url, headers=headers))

    def method(self) -> Hostile:
        method = self.rng.choice(("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"))
        return Hostile("method", httpx.Request(method, self.url, headers=self.headers(),
                                               content=b'{"query": "{ __typename }"}'))

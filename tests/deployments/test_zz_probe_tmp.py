from tests.deployments.test_applications import *  # noqa
async def test_probe(client, db, session, acme):
    _, gid = await application_of(session, acme)
    body = await run(client, acme, UPDATE, {"id": gid, "name": None, "tags": None, "status": None})
    print(body)
    assert 0

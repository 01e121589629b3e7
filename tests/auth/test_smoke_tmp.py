async def test_smoke(client, owner, settings):
    r = await client.get("/api/auth/me", headers=owner.headers)
    print(r.status_code, r.json())
    r = await client.post("/api/auth/register", json={"email": "A@Example.com", "username": "newbie", "password": "a-good-password"})
    print(r.status_code, r.headers, r.json())
    from sparkle.core.mail import list_outbox
    for m in list_outbox(settings.mail_dir):
        print(m.subject, m.to, m.links)

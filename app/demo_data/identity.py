"""Organizations, their users (distinct per organization) and memberships with roles."""

from __future__ import annotations

import itertools
from datetime import timedelta
from functools import cache

from app.demo_data.common import BASE_TIME, END_TIME, Org, World, between, dumps, make_rng
from services.security.passwords import hash_password

# Every demo user logs in with this (README "Logging in"). One hash for all rows keeps the load
# fast; its fixed salt keeps reruns byte-identical, and the password is public anyway.
DEMO_PASSWORD = "demo-password"

ORG_PREFIXES = (
    "Northwind", "Bluepeak", "Ironclad", "Lumen", "Cobalt", "Redwood", "Silverline", "Quantum",
    "Harbor", "Summit", "Brightwave", "Evergreen", "Atlas", "Nimbus", "Vertex", "Polaris",
    "Granite", "Meridian", "Orchid", "Falcon", "Juniper", "Crescent", "Helix", "Sterling",
)  # fmt: skip
ORG_SUFFIXES = (
    "Analytics", "Labs", "Health", "Logistics", "Robotics", "Finance", "Energy", "Media",
    "Retail", "Insurance", "Biotech", "Systems", "Mobility", "Foods", "Security", "Education",
)  # fmt: skip
FIRST_NAMES = (
    "Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Aria", "Lucas", "Mia", "Omar", "Lena",
    "Diego", "Priya", "Kenji", "Sofia", "Mateo", "Chloe", "Ravi", "Hana", "Jonas", "Amara",
    "Felix", "Ingrid", "Tariq", "Elena", "Samuel", "Yuki", "Nadia", "Oscar", "Leila", "Marco",
    "Freya", "Kwame", "Isla", "Arjun", "Clara", "Tomas", "Nia", "Hugo", "Selin",
)  # fmt: skip
LAST_NAMES = (
    "Chen", "Smith", "Garcia", "Okafor", "Novak", "Patel", "Kim", "Muller", "Rossi", "Silva",
    "Tanaka", "Johansson", "Haddad", "Kowalski", "Nguyen", "Dubois", "Santos", "Ivanova",
    "Brown", "Larsen", "Mensah", "Fischer", "Moreau", "Costa", "Yilmaz", "Park", "Ali",
    "Jensen", "Lopez", "Sato", "Weber", "Hughes", "Reyes", "Bauer", "Kaur", "Ortiz",
)  # fmt: skip
DEPARTMENTS = {
    "Engineering": ("Software Engineer", "ML Engineer", "Staff Engineer", "Engineering Manager"),
    "Data Science": ("Data Scientist", "Research Scientist", "Analytics Lead"),
    "Product": ("Product Manager", "Product Designer"),
    "Operations": ("Operations Analyst", "Support Lead", "IT Administrator"),
    "Sales": ("Account Executive", "Solutions Engineer"),
}
USER_STATUSES = (("active", 0.9), ("pending", 0.06), ("inactive", 0.03), ("suspended", 0.01))
PLANS = ("free", "team", "team", "enterprise")
TIMEZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Los_Angeles")


def _role(m: int, members: int) -> str:
    """First member owns the org, the next two administer it, the last ~10% only watch."""
    if m == 0:
        return "owner"
    if m <= 2:
        return "admin"
    if m >= members - max(1, members // 10):
        return "viewer"
    return "member"


def build(world: World) -> None:
    sizes, ids, rng = world.sizes, world.ids, make_rng(world.sizes.seed, "identity")
    orgs = world.table("organizations", (
        "id", "name", "slug", "description", "settings", "is_active", "created_at", "updated_at",
    ))  # fmt: skip
    users = world.table("users", (
        "id", "email", "username", "password_hash", "first_name", "last_name", "avatar_url",
        "phone", "bio", "status", "settings", "last_login_at", "created_at", "updated_at",
    ))  # fmt: skip
    memberships = world.table("memberships", (
        "id", "organization_id", "user_id", "role", "department", "position", "created_at",
        "updated_at",
    ))  # fmt: skip
    password_hash = demo_password_hash()
    names = list(itertools.product(ORG_PREFIXES, ORG_SUFFIXES))
    rng.shuffle(names)
    taken: dict[str, int] = {}
    statuses, weights = zip(*USER_STATUSES, strict=True)
    step = timedelta(days=60) / max(sizes.orgs, 1)  # organizations sign up over two months

    for o in range(sizes.orgs):
        prefix, suffix = names[o % len(names)]
        name = f"{prefix} {suffix}" + (f" {o // len(names) + 1}" if o >= len(names) else "")
        slug = name.lower().replace(" ", "-")
        created = BASE_TIME + step * o + timedelta(minutes=rng.randint(0, 600))
        org = Org(o, ids("organizations", o), name, slug, created)
        world.orgs.append(org)
        settings = {"plan": rng.choice(PLANS), "timezone": rng.choice(TIMEZONES),
                    "data_retention_days": rng.choice((30, 90, 365))}
        description = f"{suffix} company building assistants and models on the platform."
        orgs.rows.append((org.id, name, slug, description, dumps(settings), True, created,
                          created + timedelta(days=rng.randint(0, 30))))

        for m in range(sizes.members):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            base = f"{first}.{last}".lower()
            taken[base] = taken.get(base, 0) + 1  # bases hold no digits: "ava.chen2" is unique
            username = base if taken[base] == 1 else f"{base}{taken[base]}"
            role = _role(m, sizes.members)
            status = "active" if m == 0 else rng.choices(statuses, weights)[0]
            joined = created if m == 0 else between(rng, created, created + timedelta(days=30))
            last_login = None if status == "pending" else between(rng, joined, END_TIME)
            department = rng.choice(tuple(DEPARTMENTS))
            position = rng.choice(DEPARTMENTS[department])
            user_id = ids("users", o, m)
            org.user_ids.append(user_id)
            org.user_created.append(joined)
            if role in ("owner", "admin"):
                org.admin_ids.append(user_id)
            users.rows.append((
                user_id, f"{username}@{slug}.example.com", username, password_hash, first, last,
                f"https://avatars.example.com/{username}.png" if rng.random() < 0.7 else None,
                f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
                if rng.random() < 0.4 else None,
                f"{position} at {name}." if rng.random() < 0.3 else None,
                status, dumps({"theme": rng.choice(("light", "dark", "system"))}),
                last_login, joined, last_login or joined,
            ))  # fmt: skip
            memberships.rows.append((ids("memberships", o, m), org.id, user_id, role, department,
                                     position, joined, joined))


@cache
def demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD, salt=b"aiplatform-demo-")

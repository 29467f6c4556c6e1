"""Relations of API keys, declared as data (see db/loaders/base.py).

api_keys is a user-owned table in db/scope.py: whichever parent lists them, a caller sees
only the keys they own, never a colleague's.
"""

from db.loaders.base import Relation

API_KEYS_BY_ORGANIZATION = Relation("apiKeys", "api_keys", parent_key="organization_id")

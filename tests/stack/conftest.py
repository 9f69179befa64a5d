from tests.fixtures.ferretdb import ferretdb_url  # noqa: F401
from tests.fixtures.hub import hub, hub_mongo  # noqa: F401

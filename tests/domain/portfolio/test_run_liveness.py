"""Who carries a discovery run out: a run held by a live process is not orphaned; once that
process's connection is gone (it died), the run is orphaned at once."""

import pytest

from domain.companies.models import Company
from domain.portfolio.models import DiscoveryRun
from domain.portfolio.run_liveness import RunLiveness

pytestmark = pytest.mark.postgres


async def test_a_held_run_is_orphaned_as_soon_as_its_holder_is_gone(db, database_url):
    firm = await Company.create(cui="30747076", name="FIRMA")
    run = await DiscoveryRun.create(firm=firm, running_key=str(firm.id), state={})
    alive, other = RunLiveness(database_url), RunLiveness(database_url)
    try:
        assert await alive.hold(run.id)
        assert not await other.orphaned(run) and not await other.hold(run.id)
        await alive.close()  # the holding process dies: the database drops its connection and lock
        assert await other.orphaned(run) and await other.hold(run.id)
    finally:
        await alive.close()
        await other.close()

from datetime import timedelta

from domain.accounts import service as accounts
from domain.accounts.models import Session, User
from domain.kernel.clock import now
from domain.kernel.models import ThrottleCounter
from jobs.purge_stale import purge_stale


async def test_purges_only_what_is_long_dead(db):
    user = await User.create(email="a@example.ro", name="A", password_hash="x")
    live = await accounts.open_session(user, ttl_seconds=3600)
    dead = await accounts.open_session(user, ttl_seconds=3600)
    await Session.filter(id=dead.session.id).update(expires_at=now() - timedelta(days=8))
    await ThrottleCounter.create(key="k", bucket=1, hits=3, expires_at=now() - timedelta(seconds=1))
    await ThrottleCounter.create(key="k", bucket=2, hits=3, expires_at=now() + timedelta(hours=1))
    counts = await purge_stale()
    assert counts["sessions"] == 1 and counts["throttle_counters"] == 1
    assert await Session.filter(id=live.session.id).exists()
    assert await accounts.resolve_session(live.token) is not None
    assert await ThrottleCounter.all().count() == 1

"""Live events leave only after their transaction commits."""

from __future__ import annotations

import pytest

from domain.accounts.models import User
from domain.kernel import events
from domain.kernel.events import emit, unit_of_work, user_channel
from domain.notifications.models import Notification
from tests.support.bell import ring


@pytest.fixture
def published():
    sent: list[tuple[str, dict]] = []

    async def publisher(committed):
        sent.extend(committed)

    events.set_publisher(publisher)
    yield sent
    events.set_publisher(None)


async def make_user() -> User:
    return await User.create(email="bell@example.ro", name="Bell", password_hash="x")


async def test_a_committed_unit_of_work_publishes_its_events_after_commit(db, published):
    user = await make_user()
    notification_id = await ring(user.id)
    assert published == [(user_channel(user.id), {"kind": "notification", "id": notification_id})]


async def test_a_rolled_back_unit_of_work_publishes_nothing(db, published):
    user = await make_user()
    with pytest.raises(RuntimeError):
        async with unit_of_work():
            await Notification.create(user_id=user.id, kind="COLLABORATION_INVITATION", title="t", body="b")
            emit(user_channel(user.id), "notification", id=1)
            raise RuntimeError("something failed after the row was written")
    assert published == []
    assert await Notification.filter(user_id=user.id).count() == 0


async def test_events_are_not_published_before_the_commit(db, published):
    user = await make_user()
    async with unit_of_work():
        emit(user_channel(user.id), "notification", id=7)
        assert published == []  # still inside the transaction
    assert published == [(user_channel(user.id), {"kind": "notification", "id": 7})]

"""`send_invitations` sends the same number of SQL statements for 5 rows as for 50, including the
bell notifications of invitees who already have an account."""

from bench.firm import domain_firm, requests
from bench.sql_statements import counting_statements
from domain.accounts.models import User
from domain.invitations.service import Links, send_invitations
from domain.notifications.models import Notification

LINKS = Links(app_url="http://app.test", ttl_seconds=3600)


async def test_statement_count_does_not_grow_with_rows(db):
    firm = await domain_firm("medium")
    counts = {}
    for size, chunk, key, with_accounts in ((5, firm.cuis[:5], "a", (5, 7)), (50, firm.cuis[5:55], "b", range(50, 70))):
        users = [await User.create(email=f"client{n}@example.ro", name=f"Client {n}", password_hash="-",
                                   locale="en" if n % 2 else "ro") for n in with_accounts]
        with counting_statements() as counter:
            result = await send_invitations(actor=firm.user, company_id=firm.company.id, rows=requests(chunk, start=size),
                                            links=LINKS, idempotency_key=key)
        assert len(result.invitations) == size and result.errors == []
        counts[size] = counter.count
        by_email = {inv.email: inv.id for inv in result.invitations}
        for user in users:
            rung = await Notification.filter(user_id=user.id).values_list("kind", "invitation_id", "title")
            title = "Collaboration invitation" if user.locale == "en" else "Invitație de colaborare"
            assert rung == [("COLLABORATION_INVITATION", by_email[user.email], title)]
    assert await Notification.filter(kind="COLLABORATION_INVITATION").count() == 2 + 20
    assert counts[5] == counts[50], counts
    assert counts[5] < 25

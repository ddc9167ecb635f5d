"""`send_invitations` sends the same number of SQL statements for 5 rows as for 50."""

from bench.sql_statements import counting_statements
from domain.invitations import Links, send_invitations
from bench.firm import domain_firm, requests

LINKS = Links(app_url="http://app.test", ttl_seconds=3600)


async def test_statement_count_does_not_grow_with_rows(db):
    firm = await domain_firm("medium")
    counts = {}
    for size, chunk, key in ((5, firm.cuis[:5], "a"), (50, firm.cuis[5:55], "b")):
        with counting_statements() as counter:
            result = await send_invitations(actor=firm.user, company_id=firm.company.id, rows=requests(chunk, start=size),
                                            links=LINKS, idempotency_key=key)
        assert len(result.invitations) == size and result.errors == []
        counts[size] = counter.count
    assert counts[5] == counts[50], counts
    assert counts[5] < 25

"""Portfolio pages: cursor pagination, search, and a fixed number of SQL statements per page."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from tortoise import connections

from domain.accounts.models import User
from domain.companies.models import Company, MemberRole, Membership
from domain.invitations.models import Invitation
from domain.kernel.clock import now
from domain.kernel.errors import DomainError
from domain.portfolio.models import PortfolioEntry
from domain.portfolio.service import portfolio_page


@contextmanager
def counting_statements():
    client = connections.get("default")
    seen: list[str] = []
    originals = {name: getattr(client, name) for name in ("execute_query", "execute_query_dict")}

    def wrap(name):
        async def counted(sql, *args, **kwargs):
            seen.append(sql)
            return await originals[name](sql, *args, **kwargs)
        return counted

    for name in originals:
        setattr(client, name, wrap(name))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(client, name, original)


@pytest.fixture
async def firm_with_entries(db):
    user = await User.create(email="a@example.ro", name="Ana", password_hash="x")
    firm = await Company.create(cui="30747076", name="FIRMA", provides_accounting_services=True)
    client = await Company.create(cui="18547290", name="CLIENT")
    # A firm with a discovered portfolio: its owner's e-Factura authorization proved the firm.
    await Membership.create(user=user, company=firm, role=MemberRole.OWNER, verification="VERIFIED_BY_EFACTURA")
    invitation = await Invitation.create(firm=firm, cui="18547290", company_name="CLIENT", representative_name="Ion",
                                         email="ion@example.ro", phone="+40722123456", token_hash="h" * 64,
                                         sent_at=now(), expires_at=now() + timedelta(days=15), client_company=client)
    await PortfolioEntry.bulk_create([
        PortfolioEntry(firm=firm, cui=str(1000 + i), name=f"Firma {i:03d}", sources=["EFACTURA"],
                       client_company=client if i % 2 else None, invitation=invitation if i % 3 == 0 else None)
        for i in range(120)])
    return user, firm


async def test_statements_per_page_do_not_grow_with_the_page_size(firm_with_entries):
    user, firm = firm_with_entries
    counts = []
    for size in (5, 100):
        with counting_statements() as seen:
            page = await portfolio_page(actor=user, company_id=firm.id, first=size)
            assert len(page.entries) == size and all(e.client_company_id is None or e.client_company.name == "CLIENT"
                                                     for e in page.entries)
            # The invitation, its firm and its client come with the page: reading them costs nothing.
            invited = [e for e in page.entries if e.invitation_id]
            assert invited and all(e.invitation.firm.name == "FIRMA" and e.invitation.client_company.name == "CLIENT"
                                   for e in invited)
        counts.append(len(seen))
    assert 2 <= counts[0] == counts[1] <= 4, counts


async def test_cursor_walks_every_entry_once_in_name_order(firm_with_entries):
    user, firm = firm_with_entries
    names, after = [], None
    while True:
        page = await portfolio_page(actor=user, company_id=firm.id, first=50, after=after)
        names += [e.name for e in page.entries]
        assert page.total == 120
        if not page.has_next:
            break
        after = page.cursor(page.entries[-1])
    assert names == sorted(names) and len(set(names)) == 120


async def test_search_by_name_or_cui_and_bad_input(firm_with_entries):
    user, firm = firm_with_entries
    assert [e.cui for e in (await portfolio_page(actor=user, company_id=firm.id, search="firma 007")).entries] == ["1007"]
    assert (await portfolio_page(actor=user, company_id=firm.id, search="RO 110")).total == 10
    with pytest.raises(DomainError):
        await portfolio_page(actor=user, company_id=firm.id, after="not-a-cursor")


async def test_search_ignores_case_and_diacritics_alike_on_every_database(firm_with_entries):
    from domain.portfolio.service import FoundCompany, upsert_entries

    user, firm = firm_with_entries
    names = {"2001": "ȘTEFĂNESCU ȚESĂTORIE SRL", "2002": "Şerban Ţânţar (cedilla) SRL", "2003": "IONESCU ÎNTREPRINDERE SA"}
    await PortfolioEntry.create(firm=firm, cui="2001", name=names["2001"], sources=["MANUAL"])
    found = [FoundCompany(cui=c, sources=frozenset(), record=type("R", (), {"name": n, "address": None, "registration_number": None,
                                                                            "status": "active", "vat_payer": False})())
             for c, n in names.items() if c != "2001"]
    await upsert_entries(firm_id=firm.id, found=found, at=now())

    async def cuis(text):
        return [e.cui for e in (await portfolio_page(actor=user, company_id=firm.id, search=text)).entries]

    assert await cuis("stefanescu") == await cuis("ȘTEFĂNESCU") == await cuis("ştefănescu") == ["2001"]
    assert await cuis("tesatorie") == ["2001"]
    assert await cuis("serban tantar") == await cuis("ȘERBAN ȚÂNȚAR") == ["2002"]
    assert await cuis("intreprindere") == await cuis("Întreprindere") == ["2003"]
    with pytest.raises(DomainError):
        await portfolio_page(actor=user, company_id=firm.id, first=0)


async def test_a_company_one_is_not_a_member_of_is_not_found(firm_with_entries):
    from domain.kernel.errors import NotFound

    user, firm = firm_with_entries
    other = await Company.create(cui="18547291", name="ALTA")
    for company_id in (other.id, str(other.id + 1000), "abc"):
        with pytest.raises(NotFound):
            await portfolio_page(actor=user, company_id=company_id)

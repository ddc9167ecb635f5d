import re
import time

from stdnum.ro import cnp as cnp_rules
from stdnum.ro import cui as cui_rules

from anaf.sandbox.dataset import SEED, build_dataset, get_dataset


def test_builds_quickly_and_deterministically():
    started = time.perf_counter()
    first = build_dataset(SEED)
    assert time.perf_counter() - started < 1.0
    second = build_dataset(SEED)
    assert first.companies == second.companies
    assert first.holders == second.holders
    assert get_dataset().holders == first.holders
    assert build_dataset(SEED + 1).holders["small"].serial != first.holders["small"].serial


def test_companies_have_valid_unique_identities_and_a_realistic_mix():
    companies = list(get_dataset().companies.values())
    assert len(companies) >= 3000
    assert all(cui_rules.is_valid(c.cui) and c.cui.isdigit() for c in companies)
    assert len({c.name for c in companies}) == len(companies)
    assert any(ch in "ăâîșț" for c in companies for ch in c.name.lower())
    share = lambda pred: sum(map(pred, companies)) / len(companies)  # noqa: E731
    assert 0.03 < share(lambda c: c.inactive) < 0.07
    assert 0.015 < share(lambda c: c.deregistered) < 0.045
    assert 0.6 < share(lambda c: c.vat_payer) < 0.95
    assert share(lambda c: c.efactura) > 0.7
    for c in companies:
        assert c.inactive == (c.inactive_since is not None)
        assert c.deregistered == (c.deregistered_on is not None)
        assert c.vat_payer == (c.vat_since is not None)
        assert re.fullmatch(rf"J{c.county_code:02d}/\d+/{c.registered_on.year}", c.registration_number)
        assert c.address.endswith(f"{c.street.upper()}, NR.{c.number}")


def test_holders_have_the_promised_rights():
    data = get_dataset()
    holders = data.holders
    assert {"small", "large", "none", "persons"} <= set(holders)
    assert 25 <= len(holders["small"].cuis) <= 35
    assert 1900 <= len(holders["large"].cuis) <= 2100
    assert holders["none"].cuis == () and holders["none"].cnps == () and holders["none"].firm_cui is None
    assert 8 <= len(holders["persons"].cuis) <= 12 and len(holders["persons"].cnps) == 3
    assert all(data.companies[c].active for c in holders["small"].cuis)
    serials = [h.serial for h in holders.values()]
    assert len(set(serials)) == len(serials)
    for holder in holders.values():
        assert re.fullmatch(r"[0-9A-F]{16}", holder.serial)
        assert cnp_rules.is_valid(holder.cnp) and holder.pin.isdigit()
        assert all(cnp_rules.is_valid(c) for c in holder.cnps)
        assert set(holder.cuis) <= set(data.companies)
        assert data.holder_by_serial(holder.serial) is holder
        assert data.holder_by_serial(holder.serial.lower()) is holder
        if holder.firm_cui:
            assert (holder.firm_cui in holder.cuis) is holder.firm_rights
            assert "Expert Contabil" in data.companies[holder.firm_cui].name
    # A firm whose certificate was never given rights on the firm itself, only on its clients.
    unlinked = holders["unlinked"]
    assert not unlinked.firm_rights and unlinked.firm_cui not in unlinked.cuis and len(unlinked.clients) >= 10
    assert data.holder_by_serial("0000000000000000") is None

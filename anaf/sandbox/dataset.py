"""The sandbox's fictional world: companies (valid CUIs) and qualified-certificate holders.

Everything is generated from a fixed seed, so every run, every process and every test sees the same
companies, the same holders, the same certificate serials and the same rights. The numbers are
fictional but pass the same checks ANAF applies (CUI check digit, CNP check digit), so client code
validates them exactly as it would validate real ones.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.ro import cnp as cnp_rules
from stdnum.ro import cui as cui_rules

from anaf.certificates import parse_serial

SEED = 20240601
COMPANY_COUNT = 3200
# Every date in the data set lies before this day, so a lookup "as of today" sees the final state.
LATEST_EVENT = date(2024, 12, 31)

LEGAL_FORMS = {
    "SRL": "SOCIETATE COMERCIALĂ CU RĂSPUNDERE LIMITATĂ",
    "SA": "SOCIETATE COMERCIALĂ PE ACŢIUNI",
    "SNC": "SOCIETATE ÎN NUME COLECTIV",
}


@dataclass(frozen=True)
class County:
    name: str  # as ANAF writes it in `sdenumire_Judet`
    code: int  # ANAF's numeric county code (also the one in the trade-register number)
    auto: str  # licence-plate code, ANAF's `scod_JudetAuto`
    phone_prefix: str
    localities: tuple[tuple[str, str, str], ...]  # (kind, name, postal prefix); kind "MUN." / "ORŞ." / "COM." / "SECTOR"


# Counties and localities are spelled as ANAF's answers spell them (cedilla ş/ţ); names use ș/ț.
COUNTIES: tuple[County, ...] = (
    County("MUNICIPIUL BUCUREŞTI", 40, "B", "021", (
        ("SECTOR", "Sector 1", "01"), ("SECTOR", "Sector 2", "02"), ("SECTOR", "Sector 3", "03"),
        ("SECTOR", "Sector 4", "04"), ("SECTOR", "Sector 5", "05"), ("SECTOR", "Sector 6", "06"))),
    County("CLUJ", 12, "CJ", "0264", (
        ("MUN.", "Cluj-Napoca", "400"), ("MUN.", "Turda", "401"), ("MUN.", "Dej", "405"), ("COM.", "Florești", "407"))),
    County("TIMIŞ", 35, "TM", "0256", (
        ("MUN.", "Timişoara", "300"), ("MUN.", "Lugoj", "305"), ("COM.", "Dumbrăviţa", "307"))),
    County("IAŞI", 22, "IS", "0232", (("MUN.", "Iaşi", "700"), ("MUN.", "Paşcani", "705"), ("ORŞ.", "Hârlău", "705"))),
    County("CONSTANŢA", 13, "CT", "0241", (("MUN.", "Constanţa", "900"), ("MUN.", "Mangalia", "905"), ("ORŞ.", "Năvodari", "905"))),
    County("BRAŞOV", 8, "BV", "0268", (("MUN.", "Braşov", "500"), ("MUN.", "Făgăraş", "505"), ("ORŞ.", "Râşnov", "505"))),
    County("SIBIU", 32, "SB", "0269", (("MUN.", "Sibiu", "550"), ("MUN.", "Mediaş", "551"), ("ORŞ.", "Cisnădie", "555"))),
    County("BIHOR", 5, "BH", "0259", (("MUN.", "Oradea", "410"), ("MUN.", "Salonta", "415"), ("ORŞ.", "Marghita", "415"))),
    County("DOLJ", 16, "DJ", "0251", (("MUN.", "Craiova", "200"), ("MUN.", "Băileşti", "205"))),
    County("GALAŢI", 17, "GL", "0236", (("MUN.", "Galaţi", "800"), ("MUN.", "Tecuci", "805"))),
    County("PRAHOVA", 29, "PH", "0244", (("MUN.", "Ploieşti", "100"), ("MUN.", "Câmpina", "105"), ("ORŞ.", "Sinaia", "106"))),
    County("ARGEŞ", 3, "AG", "0248", (("MUN.", "Piteşti", "110"), ("MUN.", "Curtea de Argeş", "115"))),
    County("MUREŞ", 26, "MS", "0265", (("MUN.", "Târgu Mureş", "540"), ("MUN.", "Sighişoara", "545"), ("MUN.", "Reghin", "545"))),
    County("SUCEAVA", 33, "SV", "0230", (("MUN.", "Suceava", "720"), ("MUN.", "Fălticeni", "725"), ("MUN.", "Rădăuţi", "725"))),
    County("ALBA", 1, "AB", "0258", (("MUN.", "Alba Iulia", "510"), ("MUN.", "Aiud", "515"), ("ORŞ.", "Cugir", "515"))),
    County("ILFOV", 23, "IF", "021", (("ORŞ.", "Voluntari", "077"), ("ORŞ.", "Otopeni", "075"), ("COM.", "Corbeanca", "077"))),
    County("MARAMUREŞ", 24, "MM", "0262", (("MUN.", "Baia Mare", "430"), ("MUN.", "Sighetu Marmaţiei", "435"))),
    County("BACĂU", 4, "BC", "0234", (("MUN.", "Bacău", "600"), ("MUN.", "Oneşti", "601"))),
)

STREETS = (
    "Str. Memorandumului", "Bd. Eroilor", "Calea Victoriei", "Str. Mihai Eminescu", "Str. Avram Iancu",
    "Bd. Unirii", "Str. Zorilor", "Str. Republicii", "Aleea Trandafirilor", "Str. Ștefan cel Mare",
    "Str. Libertății", "Calea Dorobanților", "Str. Horea", "Str. Fabricii", "Str. Primăverii",
    "Bd. Independenței", "Str. Gării", "Str. Morii", "Str. Câmpului", "Str. Lalelelor",
    "Str. Tudor Vladimirescu", "Str. Nicolae Bălcescu", "Str. Mărășești", "Str. Dacia", "Str. Viitorului",
    "Str. Vasile Alecsandri", "Str. Ion Creangă", "Str. Plopilor", "Calea București", "Str. Teilor",
)

NAME_ROOTS = (
    "Carpați", "Dacia", "Someș", "Mureș", "Olt", "Bega", "Ceahlău", "Bucegi", "Retezat", "Apuseni",
    "Danubius", "Transilvania", "Moldova", "Muntenia", "Banat", "Crișana", "Dobrogea", "Delta", "Arieș",
    "Siret", "Prut", "Făget", "Brădet", "Stejar", "Teiul", "Izvor", "Poiana", "Codru", "Vatra", "Hora",
    "Doina", "Miorița", "Luceafărul", "Zimbru", "Șoimul", "Vulturul", "Castanul", "Nufărul", "Columna",
    "Ardeal", "Bistrița", "Sarmis", "Tomis", "Napoca", "Apulum", "Potaissa", "Porolissum", "Sucidava",
    "Histria", "Callatis", "Argedava", "Sargetia",
)
# (name word, CAEN code of the main activity)
ACTIVITIES = (
    ("Construct", "4120"), ("Agro", "0111"), ("Trans", "4941"), ("Impex", "4690"), ("Soft", "6201"),
    ("Med", "8621"), ("Com", "4719"), ("Prod", "1071"), ("Serv", "8299"), ("Tur", "7911"),
    ("Mobila", "3109"), ("Design", "7410"), ("Consult", "7022"), ("Logistic", "5229"), ("Market", "7311"),
    ("Auto", "4520"), ("Electric", "4321"), ("Instal", "4322"), ("Tex", "1413"), ("Print", "1812"),
    ("Food", "5610"), ("Farm", "4773"), ("Eco", "3811"), ("Energy", "3511"), ("Metal", "2511"),
    ("Lemn", "1610"), ("Imobiliare", "6820"), ("Data", "6311"), ("Clean", "8121"), ("Grup", "4690"),
)
NAME_SUFFIXES = ("", "", "", "", "Trans", "Invest", "Plus", "Prim", "Nord", "Sud", "Vest", "Est", "Total")
ACCOUNTING_CAEN = "6920"


@dataclass(frozen=True)
class SandboxCompany:
    cui: str
    name: str
    street: str
    number: str
    locality: str  # as ANAF writes `sdenumire_Localitate`, e.g. "Mun. Cluj-Napoca", "Sector 1 Mun. Bucureşti"
    county: str  # as ANAF writes `sdenumire_Judet`, e.g. "CLUJ"
    postal_code: str
    address: str  # as ANAF writes `adresa`
    registration_number: str
    phone: str
    caen: str
    legal_form: str
    registered_on: date
    vat_payer: bool
    vat_since: date | None
    inactive: bool
    inactive_since: date | None
    deregistered: bool
    deregistered_on: date | None
    efactura: bool
    county_code: int = 0
    county_auto: str = ""
    locality_code: str = ""

    @property
    def active(self) -> bool:
        return not self.inactive and not self.deregistered


@dataclass(frozen=True)
class Holder:
    key: str
    name: str
    cnp: str
    serial: str  # uppercase hex, 16 digits
    pin: str
    cuis: tuple[str, ...]
    cnps: tuple[str, ...]
    firm_cui: str | None  # the accountant's own firm, also listed in `cuis`


class Dataset:
    """Companies by CUI and holders by key, with a lookup by certificate serial."""

    def __init__(self, companies: dict[str, SandboxCompany], holders: dict[str, Holder]):
        self.companies = companies
        self.holders = holders
        self._by_serial = {parse_serial(h.serial): h for h in holders.values()}

    def holder_by_serial(self, serial: str | int) -> Holder | None:
        """The holder of the certificate ``serial`` (hex in any form, or the integer)."""
        try:
            return self._by_serial.get(parse_serial(serial))
        except ValueError:
            return None


# (key, holder name, PIN, number of client companies, CNPs of natural persons, only active clients)
HOLDER_PLAN = (
    ("small", "Ioana Popescu", "1234", 29, 0, True),
    ("medium", "Andrei Mureșan", "2345", 149, 0, False),
    ("large", "Elena Ionescu", "3456", 1999, 0, False),
    ("persons", "Mihai Dumitrescu", "4567", 9, 3, False),
    ("none", "Radu Stănescu", "0000", 0, 0, False),
)


def _valid_cui(base: int) -> str:
    digits = str(base)
    return digits + cui_rules.calc_check_digit(digits)


def _valid_cnp(rng: random.Random) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 40))
    sex = rng.choice("12") if born.year < 2000 else rng.choice("56")
    county = rng.choice([c.code for c in COUNTIES if c.code < 47])
    first = f"{sex}{born:%y%m%d}{county:02d}{rng.randrange(1, 1000):03d}"
    return first + cnp_rules.calc_check_digit(first)


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days)))


class _Builder:
    """Draws companies and holders from one seeded generator, in a fixed order."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.companies: dict[str, SandboxCompany] = {}
        self.names: set[str] = set()

    def unique_cui(self, registered_on: date) -> str:
        # Older companies have smaller numbers, as at ANAF.
        year_offset = registered_on.year - 1991
        while True:
            base = self.rng.randrange(100_000 + year_offset * 150_000, 250_000 + year_offset * 150_000)
            cui = _valid_cui(base)
            if cui not in self.companies:
                return cui

    def unique_name(self, legal_form: str) -> tuple[str, str]:
        while True:
            root = self.rng.choice(NAME_ROOTS)
            word, caen = self.rng.choice(ACTIVITIES)
            suffix = self.rng.choice(NAME_SUFFIXES)
            name = " ".join(p for p in (root, word, suffix, legal_form) if p)
            if name not in self.names:
                self.names.add(name)
                return name, caen

    def company(
        self, *, name: str | None = None, caen: str | None = None, always_active: bool = False
    ) -> SandboxCompany:
        rng = self.rng
        legal_key = rng.choices(("SRL", "SA", "SNC"), weights=(90, 8, 2))[0]
        if name is None:
            name, caen = self.unique_name(legal_key)
        else:
            legal_key = "SRL"
            self.names.add(name)
        registered_on = _day_between(rng, date(1991, 3, 1), date(2023, 12, 31))
        cui = self.unique_cui(registered_on)
        county = rng.choice(COUNTIES)
        locality_index = rng.randrange(len(county.localities))
        kind, locality_name, postal_prefix = county.localities[locality_index]
        street = rng.choice(STREETS)
        number = str(rng.randrange(1, 180))
        postal_code = (postal_prefix + f"{rng.randrange(10 ** (6 - len(postal_prefix))):0{6 - len(postal_prefix)}d}")

        roll = rng.random()
        deregistered = not always_active and roll < 0.03
        inactive = not always_active and 0.03 <= roll < 0.08
        deregistered_on = _day_between(rng, registered_on + timedelta(days=200), LATEST_EVENT) if deregistered else None
        inactive_since = _day_between(rng, registered_on + timedelta(days=100), LATEST_EVENT) if inactive else None
        vat_payer = not deregistered and (always_active or rng.random() < 0.8)
        vat_since = registered_on + timedelta(days=rng.randrange(0, 400)) if vat_payer else None
        efactura = not deregistered and not inactive and (always_active or rng.random() < 0.9)

        if kind == "SECTOR":
            locality = f"{locality_name} Mun. Bucureşti"
            place = f"{county.name}, {locality_name.upper()}"
        else:
            locality = f"{kind.capitalize()} {locality_name}"
            place = f"JUD. {county.name}, {kind} {locality_name.upper()}"
        return SandboxCompany(
            cui=cui,
            name=name,
            street=street,
            number=number,
            locality=locality,
            county=county.name,
            postal_code=postal_code,
            address=f"{place}, {street.upper()}, NR.{number}",
            registration_number=f"J{county.code:02d}/{rng.randrange(1, 30000)}/{registered_on.year}",
            phone=county.phone_prefix + "".join(str(rng.randrange(10)) for _ in range(10 - len(county.phone_prefix))),
            caen=caen or "7022",
            legal_form=LEGAL_FORMS[legal_key],
            registered_on=registered_on,
            vat_payer=vat_payer,
            vat_since=vat_since,
            inactive=inactive,
            inactive_since=inactive_since,
            deregistered=deregistered,
            deregistered_on=deregistered_on,
            efactura=efactura,
            county_code=county.code,
            county_auto=county.auto,
            locality_code=str(100 + locality_index * 7 + county.code),
        )

    def add(self, company: SandboxCompany) -> SandboxCompany:
        self.companies[company.cui] = company
        return company

    def build(self) -> Dataset:
        firms = {}
        for key, holder_name, *_ in HOLDER_PLAN:
            if key != "none":
                surname = holder_name.split()[-1]
                firms[key] = self.add(self.company(
                    name=f"{surname} Expert Contabil SRL", caen=ACCOUNTING_CAEN, always_active=True))
        while len(self.companies) < COMPANY_COUNT:
            self.add(self.company())

        ordinary = sorted(cui for cui in self.companies if cui not in {f.cui for f in firms.values()})
        active = [cui for cui in ordinary if self.companies[cui].active]
        holders: dict[str, Holder] = {}
        serials: set[str] = set()
        for key, holder_name, pin, client_count, person_count, only_active in HOLDER_PLAN:
            pool = active if only_active else ordinary
            clients = self.rng.sample(pool, client_count)
            firm = firms.get(key)
            cuis = ((firm.cui,) if firm else ()) + tuple(sorted(clients))
            serial = f"{self.rng.getrandbits(64):016X}"
            while serial in serials:
                serial = f"{self.rng.getrandbits(64):016X}"
            serials.add(serial)
            holders[key] = Holder(
                key=key,
                name=holder_name,
                cnp=_valid_cnp(self.rng),
                serial=serial,
                pin=pin,
                cuis=cuis,
                cnps=tuple(_valid_cnp(self.rng) for _ in range(person_count)),
                firm_cui=firm.cui if firm else None,
            )
        return Dataset(self.companies, holders)


def build_dataset(seed: int = SEED) -> Dataset:
    """Build the world for `seed` (the same seed always gives the same world)."""
    return _Builder(seed).build()


@functools.cache
def get_dataset() -> Dataset:
    return build_dataset()

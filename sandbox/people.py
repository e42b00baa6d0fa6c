"""The shared pool of people who buy from the vendors.

Every vendor draws its customers from this one pool, so the same person (same e-mail)
shops at several vendors: that is what the marts' `global_customer_id` has to find.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .rng import rng

FIRST = ["Anna", "Jonas", "Elif", "Lukas", "Marie", "Felix", "Sofia", "Paul", "Lea", "Noah",
         "Emma", "Ben", "Mia", "Finn", "Hannah", "Luca", "Clara", "Jan", "Zoë", "Mats",
         "Chloé", "Olivier", "Amélie", "Tom", "Grace", "Oliver", "Ava", "Liam", "Sven", "Ingrid",
         "Jürgen", "Björn", "Renée", "Ömer", "Dilara", "Kai", "Nele", "Timo", "Ida", "Carla"]
LAST = ["Weber", "Becker", "Yilmaz", "Müller", "Schmidt", "Schneider", "Fischer", "Wagner",
        "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Dubois", "Laurent", "Martin", "Smith", "Jones", "Taylor", "Brown", "Jansen", "de Vries",
        "Bakker", "Keller", "Huber", "Gruber", "Bauer", "Lehmann", "Krüger", "Öztürk", "Novak"]
COMPANIES = ["Bergsee Merch UG", "Nordlicht Events GmbH", "Kaffeekult KG", "Print & Pixel AG",
             "Alpenglühen e.V.", "Hafenbande GmbH", "Stadtwerk Studio", "Müller & Söhne OHG",
             "Atelier Lumière SARL", "Brightside Ltd", "Vossberg Consulting", "Grünwerk GmbH"]
PLACES = {  # country -> [(postcode, city)]
    "DE": [("10997", "Berlin"), ("50968", "Köln"), ("80331", "München"), ("20095", "Hamburg"),
           ("04109", "Leipzig"), ("70173", "Stuttgart"), ("60311", "Frankfurt am Main")],
    "AT": [("1010", "Wien"), ("5020", "Salzburg"), ("8010", "Graz")],
    "CH": [("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel")],
    "FR": [("75011", "Paris"), ("69002", "Lyon")],
    "NL": [("1012", "Amsterdam"), ("3011", "Rotterdam")],
    "GB": [("EC1A 1BB", "London"), ("M1 1AE", "Manchester")],
    "US": [("10001", "New York"), ("94103", "San Francisco")],
}
COUNTRY_WEIGHTS = [("DE", 55), ("AT", 10), ("CH", 8), ("FR", 6), ("NL", 6), ("GB", 9), ("US", 6)]
STREETS = ["Hauptstraße", "Lindenallee", "Wrangelstraße", "Bahnhofstraße", "Gartenweg",
           "Schillerstraße", "Rue de la Paix", "High Street", "Keizersgracht", "Seestrasse"]


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    title: str
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str
    street: str
    postcode: str
    city: str
    country: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _ascii(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e",
                           "ë": "e", "ç": "c", " ": ""})
    return text.lower().translate(table).encode("ascii", "ignore").decode()


class PeoplePool:
    def __init__(self, seed: int, size: int):
        self.seed = seed
        self.size = size
        self._get = lru_cache(maxsize=None)(self._make)

    def get(self, index: int) -> Person:
        return self._get(index % self.size)

    def _make(self, i: int) -> Person:
        r = rng(self.seed, "person", i)
        first, last = r.choice(FIRST), r.choice(LAST)
        country = r.choices([c for c, _ in COUNTRY_WEIGHTS], [w for _, w in COUNTRY_WEIGHTS])[0]
        postcode, city = r.choice(PLACES[country])
        domain = r.choice(["example.com", "mail.example", "post.example.de", "example.org"])
        return Person(
            id=i,
            title=r.choice(["", "", "", "", "Dr."]),
            first_name=first,
            last_name=last,
            email=f"{_ascii(first)}.{_ascii(last)}{i}@{domain}",
            phone=f"+49 {r.randint(30, 999)} {r.randint(100000, 9999999)}",
            company=r.choice(COMPANIES) if r.random() < 0.25 else "",
            street=f"{r.choice(STREETS)} {r.randint(1, 140)}",
            postcode=postcode,
            city=city,
            country=country,
        )

    def pick(self, r, window_start: float, spread: float = 0.6) -> Person:
        """Pick a buyer: a skewed draw (a few people buy often) from the vendor's window of
        the pool, [window_start, window_start + spread) as fractions of its size. Vendors'
        windows overlap partly, so some people shop at several vendors."""
        window = max(1, int(self.size * spread))
        index = int(window * (r.random() ** 1.8))
        return self.get(int(self.size * window_start) + index)

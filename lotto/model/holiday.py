"""Public holidays of a country (and subdivision) from the ``holidays`` package (issue 17).

A pure function of country, subdivision and year, computed lazily and cached per
process: a rotation's shift arithmetic asks for the same few years again and again.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as _holidays

from lotto.errors import InputError

__all__ = ["country_holidays", "check_country", "parse_dates"]


@lru_cache(maxsize=1)
def _supported() -> dict[str, list[str]]:
    return {k.upper(): list(v) for k, v in _holidays.list_supported_countries().items()}


def check_country(country: str, subdiv: str = "") -> tuple[str, str]:
    """``(COUNTRY, subdivision)`` as the package spells them; InputError if unknown.

    Case does not matter (``de``/``by`` are ``DE``/``BY``).
    """
    code = country.strip().upper()
    known = _supported()
    if code not in known:
        raise InputError(
            f"{country!r} is not a country the holidays package knows: use an ISO 3166 code "
            "such as DE, FR, GB or US.",
            country=country,
        )
    wanted = subdiv.strip()
    if not wanted:
        return code, ""
    for sub in known[code]:
        if sub.casefold() == wanted.casefold():
            return code, sub
    raise InputError(
        f"{subdiv!r} is not a subdivision of {code}: use one of {', '.join(known[code])}.",
        country=code,
        subdiv=subdiv,
    )


@lru_cache(maxsize=256)
def country_holidays(country: str, subdiv: str, year: int) -> dict[date, str]:
    """The public holidays of ``country`` (``subdiv``: a state, "" for the nation) in ``year``.

    ``{}`` for an empty country. Names as the package gives them (its default language).
    """
    if not country:
        return {}
    found = _holidays.country_holidays(country, subdiv=subdiv or None, years=year)
    return {day: str(name) for day, name in sorted(found.items()) if day.year == year}


def parse_dates(text: str) -> list[str]:
    """``2027-12-24,2027-12-31`` as sorted ISO dates without repeats; InputError if malformed."""
    out: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.add(date.fromisoformat(part).isoformat())
        except ValueError:
            raise InputError(
                f"{part!r} is not a date: write days like 2027-12-24, separated by commas.",
                date=part,
            ) from None
    if not out:
        raise InputError("no dates given: write days like `--dates 2027-12-24,2027-12-31`.")
    return sorted(out)

"""Human names of the codes a business is set up with: a locale (``en_IE`` → "English
(Ireland)", "английский (Ирландия)") and a time zone (``Europe/Dublin`` → "Dublin, Ireland"),
in the reader's locale, from Babel's CLDR data. The codes stay what is stored and typed."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone, get_timezone_location


@lru_cache(maxsize=512)
def locale_name(code: str, reader_locale: str) -> str:
    """``code``'s display name in ``reader_locale``; the code itself when Babel knows none."""
    try:
        return Locale.parse(code).get_display_name(reader_locale) or code
    except (ValueError, UnknownLocaleError):
        return code


@lru_cache(maxsize=1024)
def zone_name(zone: str, reader_locale: str) -> str:
    """The zone's city and country in ``reader_locale`` ("Dublin, Ireland"); a zone with no
    country (``Etc/UTC``) reads as its city, an unknown one as its code."""
    try:
        city = get_timezone_location(get_timezone(zone), locale=reader_locale,
                                     return_city=True)
        territory = get_global("zone_territories").get(zone)
        country = Locale.parse(reader_locale).territories.get(territory or "")
    except (LookupError, ValueError, UnknownLocaleError):
        return zone
    return f"{city}, {country}" if country and territory != "ZZ" else str(city)

"""A business's colours and logo: what is accepted, and readable text on any colour."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.tenancy import brand

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.mark.parametrize(("typed", "stored"), [
    ("#0F766E", "#0f766e"), ("0f766e", "#0f766e"), (" #abc ", "#aabbcc"), ("fff", "#ffffff")])
def test_a_colour_is_stored_in_its_long_lower_case_form(typed: str, stored: str) -> None:
    assert brand.parse_colour(typed) == stored


@pytest.mark.parametrize("typed", ["", "#12345", "red", "#ggg000", "#1234567", "rgb(1,2,3)",
                                   "#0f766e; background: url(x)"])
def test_anything_but_a_hex_colour_is_refused(typed: str) -> None:
    with pytest.raises(brand.BadColour):
        brand.parse_colour(typed)


@given(st.integers(0, 0xFFFFFF))
def test_text_on_any_colour_reads_at_least_at_large_text_contrast(value: int) -> None:
    colour = f"#{value:06x}"
    # Black or white, the better of the two, reaches 4.5:1 on every colour (the worst, a mid
    # grey or green, about 4.58:1); the black-ish ink alone does not (3.97:1 on #009500).
    assert brand.contrast(brand.ink_on(colour), colour) >= 4.5


def test_links_fall_back_to_the_ink_when_the_brand_colour_is_too_light_on_white() -> None:
    light = brand.palette(brand_colour="#ffd966", header_colour=None,
                          default_brand="#0f766e", default_header="#1d2330")
    assert light.link == brand.INK and light.brand_ink == brand.INK
    assert light.header == "#1d2330" and light.header_ink == brand.PAPER
    dark = brand.palette(brand_colour="#7c2d12", header_colour="#fef3c7",
                         default_brand="#0f766e", default_header="#1d2330")
    assert dark.link == "#7c2d12" and dark.brand_ink == brand.PAPER
    assert dark.header_ink == brand.INK


@pytest.mark.parametrize(("data", "content_type"), [
    (PNG, "image/png"), (b"\xff\xd8\xff\xe0" + b"\0" * 8, "image/jpeg"),
    (b"GIF89a" + b"\0" * 8, "image/gif"), (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp")])
def test_a_logo_is_recognised_by_its_first_bytes(data: bytes, content_type: str) -> None:
    assert brand.logo_type(data) == content_type


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"), (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "not an image"),
    (b"<html>", "not an image"), (PNG + b"\0" * brand.LOGO_MAX_BYTES, "too large")])
def test_other_files_are_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(brand.BadLogo) as refused:
        brand.logo_type(data)
    assert refused.value.reason == reason

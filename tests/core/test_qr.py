"""QR codes: what a phone's scanner reads back is exactly the text, at the level asked for."""

from __future__ import annotations

import base64
import io

import pytest
import zxingcpp
from PIL import Image

from core.qr import qr_data_uri, qr_png

SIGNED_URL = (
    "https://cqpi.example.fr/verifier/K7M2P9QX4T/#jws=eyJhbGciOiJFZERTQSJ9."
    "eyJpc3MiOiJkaWQ6d2ViOmNxcGkuZXhhbXBsZS5mcjpicmFuY2hlczptZXRhbGx1cmdpZSIsIm51bSI6IkNRUEkt"
    "TUVUQUwtMjAyNi0wMDAxMjMiLCJzdWIiOiJDYW1pbGxlIERVUE9OVCIsImlhdCI6IjIwMjYtMTEtMjAifQ."
    "9xq1Vd0yZ3r6Wb0eM2o5r8Jd3a7Hk1Qp4Ls6Tn8Uv0Xw2Yz4Ab6Cd8Ef0Gh2Ij4Kl6Mn8Op0Qr2St4Uv6Wx8Yz0A"
)


def scanned(png: bytes) -> zxingcpp.Barcode:
    found = zxingcpp.read_barcode(Image.open(io.BytesIO(png)))
    assert found is not None, "no QR code found in the image"
    return found


@pytest.mark.parametrize("text", ["https://cqpi.example/v/abc", SIGNED_URL])
def test_the_code_scans_back_to_the_text_at_level_m(text: str) -> None:
    found = scanned(qr_png(text, scale=2))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == text
    assert found.ec_level == "M"


def test_a_signed_payload_makes_a_denser_code_than_the_url_alone() -> None:
    alone = Image.open(io.BytesIO(qr_png("https://cqpi.example/v/abc", scale=1, border=0)))
    signed = Image.open(io.BytesIO(qr_png(SIGNED_URL, scale=1, border=0)))
    assert alone.size == (25, 25)  # version 2
    assert signed.size[0] > 50


def test_scale_and_quiet_zone() -> None:
    plain = Image.open(io.BytesIO(qr_png("abc", scale=1, border=0)))
    framed = Image.open(io.BytesIO(qr_png("abc", scale=3, border=2)))
    assert plain.size == (21, 21)  # version 1
    assert framed.size == ((21 + 2 * 2) * 3,) * 2
    assert framed.mode == "1"
    # The quiet zone is white all round; the finder pattern's corner module is black.
    assert framed.getpixel((0, 0)) and framed.getpixel((5, 5))
    assert not framed.getpixel((6, 6))


def test_the_data_uri_is_the_png_inline() -> None:
    uri = qr_data_uri("https://cqpi.example/v/abc")
    assert uri.startswith("data:image/png;base64,")
    assert scanned(base64.b64decode(uri.split(",", 1)[1])).text == "https://cqpi.example/v/abc"

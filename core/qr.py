"""QR codes as PNG data URIs, for documents and pages.

Encoded by zxing-cpp (compiled): the signed payload a certificate prints makes a version 14–17
symbol, whose ISO/IEC 18004 mask selection (all eight masks scored) took 20–25 ms in a pure
Python encoder, a sixth of the certificate's whole render; here it takes 1–2 ms.
"""

from __future__ import annotations

import base64
import io

import zxingcpp
from PIL import Image, ImageOps


def qr_png(text: str, *, scale: int = 4, border: int = 2, error: str = "M") -> bytes:
    """A 1-bit PNG of `text`'s QR code: `scale` pixels per module, a quiet zone of `border`
    modules. Level M (15 % of the symbol recoverable) by default: a printed document gets
    folded and stamped."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=error)
    modules = barcode.to_image(scale=scale, add_quiet_zones=False)
    picture = ImageOps.expand(Image.fromarray(modules), border=border * scale, fill=255)
    picture = picture.convert("1")
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def qr_data_uri(text: str, *, scale: int = 4, border: int = 2) -> str:
    """`qr_png` as a `data:` URI, for an <img> in a page or a document (no file, no request)."""
    return (
        "data:image/png;base64,"
        + base64.b64encode(qr_png(text, scale=scale, border=border)).decode()
    )

"""Illustrative signatories for the demo and load branches: the compliance gate refuses to
issue a certificate until the branch names its certifier and signatory and uploads a signature.

The names are fictitious and the signatures are drawn scribbles, never real ones.
"""

from __future__ import annotations

import io
import math
import random
import zlib

from django.core.files.base import ContentFile

from branches.models import Branch

_FIRST = ("Claire", "Hélène", "Nadia", "Sophie", "Anne", "Marc", "Pierre", "Karim", "Luc", "Yves")
_LAST = ("Marchand", "Lefort", "Benali", "Garnier", "Rousseau", "Faure", "Chevalier", "Perrin")


def _seed(branch: Branch) -> int:
    return zlib.crc32(branch.code.encode())


def signatory_name(branch: Branch) -> str:
    seed = _seed(branch)
    return f"{_FIRST[seed % len(_FIRST)]} {_LAST[(seed // 7) % len(_LAST)]}"


def signature_png(seed: int) -> bytes:
    """A small PNG scribble in ink blue on white, different for each seed."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    width, height = 240, 80
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    phase, loops = rng.uniform(0, math.pi), rng.randint(4, 7)
    points = [
        (
            12 + x,
            height / 2
            + 22
            * math.sin(phase + x * loops * math.pi / width)
            * math.cos(x * 3 * math.pi / width),
        )
        for x in range(0, width - 24, 3)
    ]
    draw.line(points, fill=(20, 40, 120), width=3, joint="curve")
    draw.line([(20, height - 14), (width - 30, height - 18)], fill=(20, 40, 120), width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def sign_branch(branch: Branch) -> bool:
    """Fill in what the branch's certificate settings lack; True when something was filled.

    What a branch already has (its staff may have set it) is kept. The certifier is
    not guessed: the reference data name it (CPNE or CPNEFP), and the gate says if it lacks."""
    fields: list[str] = []
    if not branch.signatory_name.strip():
        branch.signatory_name = signatory_name(branch)
        fields.append("signatory_name")
    if not branch.signatory_title.strip():
        branch.signatory_title = f"Président(e) de la {branch.certifier_name}".strip()
        fields.append("signatory_title")
    image = branch.signatory_image
    # Missing also when the row names a file another media folder holds (the load data is
    # generated under one MEDIA_ROOT, the PDF benchmark renders under its own).
    if not image or not image.storage.exists(image.name):
        branch.signatory_image.save(
            f"signature-{branch.code}.png", ContentFile(signature_png(_seed(branch))), save=False
        )
        fields.append("signatory_image")
    if fields:
        branch.save(update_fields=fields)
    return bool(fields)

"""Names and free text are plain text: no Unicode format characters.

Format characters (category Cf: right-to-left overrides such as U+202E, zero-width joiners,
invisible separators) change how a text is shown, not what it says: a name typed with U+202E
prints reversed on a certificate, and two names that look alike compare unequal. Nothing a
person types here needs one, so every door refuses them: form fields and serializers through
`validate_plain_text`, and every save of the domain's models through `refuse_format_characters`
(connected in core.apps), which names the field.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError

MESSAGE = gettext_lazy(
    "Ce texte contient un caractère invisible de mise en forme (%(codes)s), qui changerait "
    "son affichage : retirez-le (retapez le texte plutôt que de le coller)."
)


def format_characters(value: str) -> list[str]:
    """The format characters of `value`, as code points (U+202E), each once, in order."""
    found = dict.fromkeys(
        f"U+{ord(char):04X}" for char in value if unicodedata.category(char) == "Cf"
    )
    return list(found)


def validate_plain_text(value: Any) -> None:
    """A field validator: refuses a text holding a format character."""
    if isinstance(value, str) and (codes := format_characters(value)):
        raise ValidationError(MESSAGE, code="format_character", params={"codes": ", ".join(codes)})


def refuse_format_characters(
    sender: type[models.Model], instance: models.Model, **kwargs: Any
) -> None:
    """pre_save: no row of the domain is written with a format character in a text column,
    whichever door it came through (service, API, import, admin)."""
    for field in instance._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField) or field.choices:
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, str) and (codes := format_characters(value)):
            raise DomainError(
                _("« %(field)s » : %(problem)s")
                % {
                    "field": capfirst(str(field.verbose_name)),
                    "problem": MESSAGE % {"codes": ", ".join(codes)},
                },
                code="format_character",
            )


def person_name(first_name: str, last_name: str) -> str:
    """A person's name as the documents print it: "Prénom NOM", the first name with its initials
    and the family name in capitals (French administrative usage; README, "Names on documents").

    One function for the portal, the certificate and its snapshot's holder, the procès-verbal,
    the verification page and the exports, so that a name reads the same everywhere.
    """
    return " ".join(
        part for part in (_first_name(first_name.strip()), last_name.strip().upper()) if part
    )


def _first_name(name: str) -> str:
    """A first name typed all in capitals or all in small letters gets its initials ("JEAN-
    PIERRE", "jean-pierre" → "Jean-Pierre"); one typed in mixed case is kept as it was."""
    if name not in (name.lower(), name.upper()):
        return name
    return re.sub(r"[^\W\d_]+", lambda word: word[0][:1].upper() + word[0][1:].lower(), name)

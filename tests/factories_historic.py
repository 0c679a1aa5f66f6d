"""factory_boy factory for certificates issued before the platform (historic.HistoricCertificate)."""

from __future__ import annotations

import datetime
import uuid

import factory
from django.utils import timezone

from certifications.models import CertificateKind
from historic.models import HistoricCertificate, number_key
from tests.factories import BranchFactory, ReferentielFactory, UserFactory


class HistoricCertificateFactory(factory.django.DjangoModelFactory[HistoricCertificate]):
    class Meta:
        model = HistoricCertificate

    branch = factory.SubFactory(BranchFactory)
    number = factory.Sequence(lambda n: f"HIST-2008-{n:05d}")
    number_key = factory.LazyAttribute(lambda o: number_key(o.number))
    kind = CertificateKind.CERTIFICATE
    referentiel = factory.SubFactory(ReferentielFactory)
    version = None
    cqpi_title = factory.LazyAttribute(lambda o: o.referentiel.title)
    issued_on = datetime.date(2008, 6, 27)
    last_name = "Delaforge"
    first_name = "Camille"
    birth_date = datetime.date(1980, 3, 14)
    birth_place = "Lyon"
    batch = factory.LazyFunction(uuid.uuid4)
    imported_by = factory.SubFactory(UserFactory)
    imported_at = factory.LazyFunction(timezone.now)

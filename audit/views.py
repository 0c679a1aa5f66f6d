"""The audit trail's page: the whole trail for national administrators, a branch's for its staff."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from branches.access import require_staff_member
from core.pagination import KeysetPaginator

from .forms import AuditFilterForm
from .labels import action_label, state_label
from .models import AuditEvent

PAGE_SIZE = 50


@require_safe
@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    roles = require_staff_member(request.user)
    filters = AuditFilterForm(request.GET or None)
    events = filters.apply(AuditEvent.objects.visible_to(request.user).select_related("branch"))
    page = KeysetPaginator(events, PAGE_SIZE).get_page(
        request.GET.get("page"), after=request.GET.get("after"), before=request.GET.get("before")
    )
    for event in page.object_list:
        event.action_label = action_label(event.action)  # type: ignore[attr-defined]
        to = event.details.get("to") if isinstance(event.details, dict) else None
        event.to_label = state_label(to) if to else ""  # type: ignore[attr-defined]
    return render(
        request,
        "audit/event_list.html",
        {
            "section": "audit",
            "filters": filters,
            "page": page,
            "show_branch": roles.is_national_admin or len(roles.staff_branch_ids) > 1,
        },
    )

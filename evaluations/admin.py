"""Admin of evaluations and juries, for the national administrator: shown, not edited.

Scores, convocations and decisions carry object grants, optimistic versions and the dossier's
state: they are written through the services only. Decisions are never deleted.
"""

from __future__ import annotations

from django.contrib import admin

from branches.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    AgendaItem,
    CalendarFeed,
    CapacityResult,
    Decision,
    DecisionCapacity,
    Evaluation,
    EvaluationSheet,
    IndicatorMark,
    JuryMember,
    JurySession,
    MinutesSignature,
    Proposal,
    Vote,
)


class SheetInline(ReadOnlyInline):
    model = EvaluationSheet
    fields = ("evaluator", "role", "status", "submitted_at")
    readonly_fields = fields


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "kind", "status", "due_date", "created_at", "submitted_at")
    list_filter = ("kind", "status")
    list_select_related = ("dossier",)
    search_fields = ("dossier__reference", "dossier__candidate__last_name")
    date_hierarchy = "created_at"
    inlines = [SheetInline]


class ResultInline(ReadOnlyInline):
    model = CapacityResult
    fields = ("capacity", "outcome", "comment", "updated_at")
    readonly_fields = fields


@admin.register(EvaluationSheet)
class EvaluationSheetAdmin(ReadOnlyAdmin):
    list_display = ("evaluation", "evaluator", "role", "status", "submitted_at")
    list_filter = ("role", "status")
    list_select_related = ("evaluation__dossier", "evaluator")
    search_fields = ("evaluation__dossier__reference", "evaluator__email", "evaluator__last_name")
    inlines = [ResultInline]


class MarkInline(ReadOnlyInline):
    model = IndicatorMark
    fields = ("indicator", "mark")
    readonly_fields = fields
    show_change_link = False


@admin.register(CapacityResult)
class CapacityResultAdmin(ReadOnlyAdmin):
    list_display = ("sheet", "capacity", "outcome", "updated_at")
    list_filter = ("outcome",)
    list_select_related = ("sheet__evaluation__dossier", "capacity")
    search_fields = ("sheet__evaluation__dossier__reference", "capacity__code")
    inlines = [MarkInline]


@admin.register(IndicatorMark)
class IndicatorMarkAdmin(ReadOnlyAdmin):
    list_display = ("result", "indicator", "mark")
    list_select_related = ("result__capacity", "indicator")
    search_fields = ("result__sheet__evaluation__dossier__reference", "indicator__label")


class MemberInline(ReadOnlyInline):
    model = JuryMember
    fields = ("user", "college", "role", "present", "excused", "left_at")
    readonly_fields = fields
    show_change_link = False


class AgendaInline(ReadOnlyInline):
    model = AgendaItem
    fields = ("position", "dossier")
    readonly_fields = fields
    show_change_link = False


@admin.register(JurySession)
class JurySessionAdmin(ReadOnlyAdmin):
    list_display = ("branch", "held_on", "place", "status", "opened_at", "closed_at")
    list_filter = ("status", "branch")
    list_select_related = ("branch",)
    search_fields = ("place", "branch__name")
    date_hierarchy = "held_on"
    exclude = ("minutes",)  # served by the permission-checked session view
    inlines = [MemberInline, AgendaInline]


@admin.register(JuryMember)
class JuryMemberAdmin(ReadOnlyAdmin):
    list_display = ("user", "session", "college", "role", "present", "excused")
    list_filter = ("college", "role", "present", "excused")
    list_select_related = ("user", "session__branch")
    search_fields = ("user__email", "user__last_name")


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = ("session", "position", "dossier")
    list_select_related = ("session__branch", "dossier")
    search_fields = ("dossier__reference",)


class DecisionCapacityInline(ReadOnlyInline):
    model = DecisionCapacity
    fields = ("capacity", "validated", "overridden", "reason")
    readonly_fields = fields
    show_change_link = False


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    """Never deleted: a decision is superseded, and its certificate revoked, with a reason."""

    list_display = ("dossier", "outcome", "status", "session", "decided_at", "recorded_by")
    list_filter = ("outcome", "status")
    list_select_related = ("dossier", "session__branch", "recorded_by")
    search_fields = ("dossier__reference", "dossier__candidate__last_name", "reasons")
    date_hierarchy = "decided_at"
    inlines = [DecisionCapacityInline]


@admin.register(DecisionCapacity)
class DecisionCapacityAdmin(ReadOnlyAdmin):
    list_display = ("decision", "capacity", "validated", "overridden")
    list_filter = ("validated", "overridden")
    list_select_related = ("decision__dossier", "capacity")
    search_fields = ("decision__dossier__reference", "capacity__code")


class VoteInline(ReadOnlyInline):
    model = Vote
    fields = ("member", "choice", "by_show_of_hands", "recorded_by", "cast_at")
    readonly_fields = fields
    show_change_link = False


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    """A proposal put to the jury's vote, with its votes and tally: never deleted."""

    list_display = (
        "dossier",
        "outcome",
        "status",
        "votes_for",
        "votes_against",
        "votes_abstain",
        "members_present",
        "put_at",
    )
    list_filter = ("outcome", "status")
    list_select_related = ("dossier", "session__branch")
    search_fields = ("dossier__reference", "dossier__candidate__last_name")
    date_hierarchy = "put_at"
    inlines = [VoteInline]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("proposal", "member", "choice", "by_show_of_hands", "cast_at")
    list_filter = ("choice", "by_show_of_hands")
    list_select_related = ("proposal__dossier", "member__user")
    search_fields = ("proposal__dossier__reference", "member__user__email")


@admin.register(MinutesSignature)
class MinutesSignatureAdmin(ReadOnlyAdmin):
    """Who signed a procès-verbal, when, from where, and the digest they signed."""

    list_display = ("session", "role", "member", "signed_at", "second_factor", "ip_address")
    list_filter = ("role", "second_factor")
    list_select_related = ("session__branch", "member__user")
    search_fields = ("session__place", "member__user__email", "content_sha256")
    date_hierarchy = "signed_at"


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """Who has a private calendar address and since when; the token itself is never kept."""

    list_display = ("user", "created_at")
    list_select_related = ("user",)
    fields = ("user", "created_at")
    readonly_fields = fields

"""The audit trail: who did what, when and from where — authentication, refusals and changes."""

"""Branches (the tenants), their charter, companies, people's roles and the tenant scoping helpers."""

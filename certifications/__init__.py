"""CQPI référentiels (versioned), their adoption by branches, and the certificate as a document."""

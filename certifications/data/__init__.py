"""The reference data shipped with cqpi: the 22 branches of the charter and the 9 CQPI."""

"""Evaluations by capacities (single or binôme), jury sessions paritaires and their decisions."""

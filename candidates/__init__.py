"""Candidates, their dossiers and evidence, and the dossier state machine with its history."""

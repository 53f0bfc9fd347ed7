"""Importers: published reports (text, HTML, Word) -> Submission."""

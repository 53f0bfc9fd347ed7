"""Renderers of results: console text, JSON, the findings workbook, annotated copies."""

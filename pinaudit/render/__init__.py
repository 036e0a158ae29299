"""Renderers turn a check or fix result into text for people or data for machines."""

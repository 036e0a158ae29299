"""Renderers turn a check or fix result into text for people or data for machines."""

#: Every ``--output-format``; each has a module here named after it (text: ``text``).
OUTPUT_FORMATS = ("text", "concise", "json", "sarif", "github", "gitlab", "junit")

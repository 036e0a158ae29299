"""pinaudit: finds known-bad dependency combinations in Python manifests and lockfiles."""

__version__ = "0.1.0"

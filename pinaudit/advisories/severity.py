"""How serious an advisory is, from what its record says.

pinaudit has three levels; advisories speak in labels (GitHub's
``database_specific.severity``, Ubuntu's priorities) or in CVSS vectors.  The
PyPA database only carries CVSS v3 vectors, so without computing the base score
every PyPA advisory would fall back to the default; the CVSS v2 and v3.x base
formulas are short and public (FIRST's specifications), so they are computed
here.  CVSS v4 scores need FIRST's macro-vector lookup table; a v4 vector alone
is not scored and the next source (or the default) decides.

Mapping: CRITICAL and HIGH are errors, MODERATE/MEDIUM warnings, LOW (and
Ubuntu's "negligible", CVSS "NONE") info.  A record that says nothing usable is
a warning: unknown is not the same as harmless, but not worth failing a build
over either.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from pinaudit.rulebook import Severity

DEFAULT_SEVERITY = Severity.WARNING

_LABELS: Mapping[str, Severity] = {
    "critical": Severity.ERROR,
    "high": Severity.ERROR,
    "important": Severity.ERROR,
    "moderate": Severity.WARNING,
    "medium": Severity.WARNING,
    "low": Severity.INFO,
    "negligible": Severity.INFO,
    "none": Severity.INFO,
}

_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


def from_label(label: str) -> Severity | None:
    """A textual rating (``HIGH``, ``Moderate``, ``low``) as a pinaudit level."""
    return _LABELS.get(label.strip().lower())


def from_score(score: float) -> Severity:
    """CVSS qualitative bands (v3: 9+ critical, 7+ high, 4+ medium) as a level.

    CVSS v2 has no "critical" band but shares the 7.0 and 4.0 boundaries, so one
    function serves both.
    """
    if score >= 7.0:
        return Severity.ERROR
    if score >= 4.0:
        return Severity.WARNING
    return Severity.INFO


def highest(levels: Iterable[Severity]) -> Severity | None:
    """The most serious of several opinions; ``None`` when there are none."""
    best: Severity | None = None
    for level in levels:
        if best is None or _RANK[level] > _RANK[best]:
            best = level
    return best


def _metrics(vector: str, prefix: str | None) -> dict[str, str] | None:
    parts = vector.strip().split("/")
    if prefix is not None:
        if not parts or parts[0] != prefix:
            return None
        parts = parts[1:]
    metrics: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition(":")
        if not sep or not key or not value or key in metrics:
            return None
        metrics[key] = value
    return metrics


_V3_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_V3_AC = {"L": 0.77, "H": 0.44}
_V3_PR_UNCHANGED = {"N": 0.85, "L": 0.62, "H": 0.27}
_V3_PR_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
_V3_UI = {"N": 0.85, "R": 0.62}
_V3_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}


def _roundup_v31(value: float) -> float:
    """CVSS v3.1's Roundup: an integer-based ceiling immune to float noise."""
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000
    return (math.floor(scaled / 10_000) + 1) / 10.0


def cvss3_base_score(vector: str) -> float | None:
    """Base score of a ``CVSS:3.0/...`` or ``CVSS:3.1/...`` vector; ``None`` if unreadable."""
    head = vector.strip().split("/", 1)[0]
    if head not in ("CVSS:3.0", "CVSS:3.1"):
        return None
    metrics = _metrics(vector, head)
    if metrics is None:
        return None
    try:
        scope_changed = {"U": False, "C": True}[metrics["S"]]
        attack_vector = _V3_AV[metrics["AV"]]
        complexity = _V3_AC[metrics["AC"]]
        privileges = (_V3_PR_CHANGED if scope_changed else _V3_PR_UNCHANGED)[metrics["PR"]]
        interaction = _V3_UI[metrics["UI"]]
        confidentiality = _V3_CIA[metrics["C"]]
        integrity = _V3_CIA[metrics["I"]]
        availability = _V3_CIA[metrics["A"]]
    except KeyError:
        return None
    base = 1 - (1 - confidentiality) * (1 - integrity) * (1 - availability)
    impact = 7.52 * (base - 0.029) - 3.25 * (base - 0.02) ** 15 if scope_changed else 6.42 * base
    exploitability = 8.22 * attack_vector * complexity * privileges * interaction
    if impact <= 0:
        return 0.0
    total = impact + exploitability
    if scope_changed:
        total *= 1.08
    total = min(total, 10.0)
    if head == "CVSS:3.0":
        return math.ceil(total * 10) / 10
    return _roundup_v31(total)


_V2_AV = {"L": 0.395, "A": 0.646, "N": 1.0}
_V2_AC = {"H": 0.35, "M": 0.61, "L": 0.71}
_V2_AU = {"M": 0.45, "S": 0.56, "N": 0.704}
_V2_CIA = {"N": 0.0, "P": 0.275, "C": 0.660}


def cvss2_base_score(vector: str) -> float | None:
    """Base score of a CVSS v2 vector (``AV:N/AC:L/Au:N/C:P/I:P/A:P``)."""
    text = vector.strip()
    if text.startswith("("):
        text = text.strip("()")
    metrics = _metrics(text, None)
    if metrics is None:
        return None
    try:
        attack_vector = _V2_AV[metrics["AV"]]
        complexity = _V2_AC[metrics["AC"]]
        authentication = _V2_AU[metrics["Au"]]
        confidentiality = _V2_CIA[metrics["C"]]
        integrity = _V2_CIA[metrics["I"]]
        availability = _V2_CIA[metrics["A"]]
    except KeyError:
        return None
    impact = 10.41 * (1 - (1 - confidentiality) * (1 - integrity) * (1 - availability))
    exploitability = 20 * attack_vector * complexity * authentication
    factor = 0.0 if impact == 0 else 1.176
    score = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * factor
    return round(score + 1e-9, 1)


def from_osv_entry(kind: str, score: str) -> Severity | None:
    """One ``severity[]`` entry of an OSV record; ``None`` when it cannot be rated."""
    if kind == "CVSS_V3":
        value = cvss3_base_score(score)
        return None if value is None else from_score(value)
    if kind == "CVSS_V2":
        value = cvss2_base_score(score)
        return None if value is None else from_score(value)
    if kind == "Ubuntu":
        return from_label(score)
    return None

"""Visual acuity written as a Snellen fraction ("20/200" in feet, "6/60" in metres): which fractions are one.

A Snellen fraction is one value, the decimal acuity numerator / denominator (20/200 = 6/60 = 0.1; 1.0 is normal
sight), never two thresholds nor a systolic/diastolic pair. The threshold keeps the numerator as its number and gets
the unit ``snellen_D`` of the chart line's denominator (``decimal_acuity / D`` in ``corpora/units/clinical_units.txt``),
so that pint compares it with a record in decimal acuity or in another chart line; a denominator no chart line of its
distance has ("20/7", "6/10") is no Snellen fraction here, and a record in logMAR (a logarithm, not a linear scale) is
not compared.
"""

from __future__ import annotations

from criteria_nlp.knowledge.units.normalize import is_unit

# the chart lines by test distance (20 feet, 6 metres): a fraction off the lines of its distance ("6/10", a pain score
# out of ten) is no Snellen fraction
_FEET = "10 12.5 15 16 20 25 30 32 40 50 60 63 70 80 100 125 150 160 200 250 300 320 400 500 640 800"
_METRES = "3 3.8 4.8 5 6 7.5 9 12 15 18 19 24 30 36 38 48 60 120"
CHART_LINES = {"20": frozenset(_FEET.split()), "6": frozenset(_METRES.split())}
SNELLEN_NUMERATORS = frozenset(CHART_LINES)


def snellen_unit(numerator: str, denominator: str) -> str | None:
    """The unit of the fraction ``numerator``/``denominator`` as written ("20", "200" -> ``snellen_200``), or None
    when it is no Snellen fraction of a known chart line."""
    if denominator not in CHART_LINES.get(numerator, ()):
        return None
    name = "snellen_" + denominator.replace(".", "_")
    return name if is_unit(name) else None

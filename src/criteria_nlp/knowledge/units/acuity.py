"""Visual acuity written as a Snellen fraction ("20/200" in feet, "6/60" in metres): which fractions are one.

A Snellen fraction is one value, the decimal acuity numerator / denominator (20/200 = 6/60 = 0.1; 1.0 is normal
sight), never two thresholds nor a systolic/diastolic pair. The threshold keeps the numerator as its number and gets
the unit ``snellen_D`` of the chart line's denominator (``decimal_acuity / D`` in ``corpora/units/clinical_units.txt``),
so that pint compares it with a record in decimal acuity or in another chart line; a denominator no chart line has
("20/7") is no Snellen fraction here, and a record in logMAR (a logarithm, not a linear scale) is not compared.
"""

from __future__ import annotations

from criteria_nlp.knowledge.units.normalize import is_unit

# the test distance of the charts: 20 feet, 6 metres
SNELLEN_NUMERATORS = frozenset({"20", "6"})


def snellen_unit(numerator: str, denominator: str) -> str | None:
    """The unit of the fraction ``numerator``/``denominator`` as written ("20", "200" -> ``snellen_200``), or None
    when it is no Snellen fraction of a known chart line."""
    if numerator not in SNELLEN_NUMERATORS or not denominator[:1].isdigit():
        return None
    name = "snellen_" + denominator.replace(".", "_")
    return name if is_unit(name) else None

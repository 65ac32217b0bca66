"""The grammar's quantities are shared between criteria (``grammar.transform._quantity``): sharing must not change
them."""

from __future__ import annotations

from criteria_nlp.grammar.transform import _quantity
from criteria_nlp.ir import Quantity


def test_a_shared_quantity_is_the_validated_one() -> None:
    assert _quantity("1.5", "mg/dL", "mg/dL") == Quantity(value=1.5, unit="mg/dL", unit_normalized="mg/dL")
    assert _quantity("1.5", "mg/dL", "mg/dL") is _quantity("1.5", "mg/dL", "mg/dL")


def test_a_quantity_without_unit_sets_the_value_alone() -> None:
    shared = _quantity("18.0", None, None)
    assert shared.model_fields_set == Quantity(value=18.0).model_fields_set == {"value"}


def test_minus_zero_is_not_zero() -> None:
    """As float keys -0.0 and 0.0 are one; as the lexer's strings they stay apart (their JSON differs)."""
    assert _quantity("0.0", None, None).model_dump_json() == '{"value":0.0,"unit":null,"unit_normalized":null}'
    assert _quantity("-0.0", None, None).model_dump_json() == '{"value":-0.0,"unit":null,"unit_normalized":null}'


def test_the_same_number_with_another_unit_is_another_quantity() -> None:
    assert _quantity("5.0", "mg", "mg").unit == "mg"
    assert _quantity("5.0", "g", "g").unit == "g"
    assert _quantity("5.0", "mg.", "mg").unit_normalized == "mg"

"""The long-lived tables leave the cycle collector's generations (criteria_nlp.longlived.settle)."""

from __future__ import annotations

import gc
import importlib
import weakref

import pytest

from criteria_nlp import longlived


class _Table:
    """A stand-in for a long-lived table: a container the collector tracks."""

    def __init__(self) -> None:
        self.rows: list[object] = [{"term": "x"}]


def _in_generations(value: object) -> bool:
    """Whether the collector's generations (not its permanent one) hold ``value``."""
    return any(held is value for held in gc.get_objects())


@pytest.fixture(autouse=True)
def _freezing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(longlived.FREEZE_ENV, raising=False)


def test_a_settled_table_is_no_longer_walked_by_collections() -> None:
    table = _Table()
    assert _in_generations(table) and _in_generations(table.rows)
    frozen = gc.get_freeze_count()
    assert longlived.settle(table) is table
    assert not _in_generations(table) and not _in_generations(table.rows)
    assert gc.get_freeze_count() > frozen
    gc.collect()  # a full collection does not bring it back
    assert not _in_generations(table)


def test_young_garbage_is_collected_not_frozen() -> None:
    cycle = _Table()
    cycle.rows.append(cycle)  # unreachable once the name is gone: only the cycle collector frees it
    gone = weakref.ref(cycle)
    del cycle
    longlived.settle(_Table())
    assert gone() is None


def test_a_paused_collector_is_not_made_to_walk_what_it_holds() -> None:
    # the command line pauses the collector during start-up: settling then freezes without collecting
    gc.disable()
    try:
        cycle = _Table()
        cycle.rows.append(cycle)
        kept = weakref.ref(cycle)
        del cycle
        table = longlived.settle(_Table())
    finally:
        gc.enable()
    assert kept() is not None  # not collected (frozen with the rest: one small cycle)
    assert not _in_generations(table)


@pytest.mark.parametrize("value", ["off", "0", "No", " false "])
def test_the_environment_variable_turns_it_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(longlived.FREEZE_ENV, value)
    table = _Table()
    assert not longlived.enabled()
    assert longlived.settle(table) is table
    assert _in_generations(table)


def test_the_unit_registry_is_settled_where_it_is_built() -> None:
    # the module, not the function of the same name that ``criteria_nlp.knowledge.units`` exports
    module = importlib.import_module("criteria_nlp.knowledge.units.registry")
    built = module.registry.__wrapped__()  # a new registry, not the process's cached one
    assert not _in_generations(built)
    assert not _in_generations(built._dimensions)  # its tables too, not only the registry object

"""Every fixture family under tests/fixtures/ is registered in conftest's ``pytest_plugins``:
a module left out would make its fixtures unknown to every test."""

from __future__ import annotations

import pkgutil

import pytest

import tests.fixtures
from tests import conftest


def test_every_fixture_module_is_listed() -> None:
    found = {
        f"tests.fixtures.{info.name}" for info in pkgutil.iter_modules(tests.fixtures.__path__)
    }
    assert found == set(conftest.pytest_plugins)


def test_every_listed_module_is_a_registered_plugin(pytestconfig: pytest.Config) -> None:
    for name in conftest.pytest_plugins:
        assert pytestconfig.pluginmanager.get_plugin(name) is not None, name

"""The local Time-Stamp Authority, made once per session: keys and certificates by openssl."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tsa import LocalTsa, make_ca


@pytest.fixture(scope="session")
def session_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    tsa = LocalTsa(tmp_path_factory.mktemp("tsa"))
    yield tsa
    tsa.stop()


@pytest.fixture
def tsa(session_tsa: LocalTsa) -> Iterator[LocalTsa]:
    """The TSA, up and answering normally, whatever the test before did to it."""
    session_tsa.reset()
    yield session_tsa
    session_tsa.reset()


@pytest.fixture(scope="session")
def forger_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    """A TSA with the same name whose certificate no CA signed: it signs its own."""
    tsa = LocalTsa(tmp_path_factory.mktemp("forger-tsa"), self_signed=True)
    yield tsa
    tsa.stop()


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root CA that signed nothing of the TSA's."""
    return make_ca(tmp_path_factory.mktemp("other-ca"), "other test root")

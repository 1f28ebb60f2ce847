"""The `GRPC_TLS_*` settings: all three files or none, each readable PEM, and the allow-list."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.common.grpc_tls import GrpcTlsError, load_tls, parse_allowed_clients
from services.importer.settings import ImporterSettings
from services.intake.settings import IntakeSettings

_VARIABLES = ("GRPC_TLS_CERT", "GRPC_TLS_KEY", "GRPC_TLS_CA", "GRPC_TLS_ALLOWED_CLIENTS")


@pytest.fixture
def pems(tmp_path: Path) -> dict[str, str]:
    files = {}
    for name in ("cert", "key", "ca"):
        path = tmp_path / f"{name}.pem"
        path.write_bytes(f"-----BEGIN {name.upper()}-----\nAAAA\n-----END-----\n".encode())
        files[name] = str(path)
    return files


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_nothing_set_means_plaintext() -> None:
    assert load_tls(None, None, None) is None
    assert load_tls("", "", "", " ") is None
    assert IntakeSettings().grpc_tls is None


def test_all_three_files_are_read(pems: dict[str, str]) -> None:
    tls = load_tls(pems["cert"], pems["key"], pems["ca"], " gateway, ,importer,")
    assert tls is not None
    assert tls.cert.startswith(b"-----BEGIN CERT")
    assert tls.key.startswith(b"-----BEGIN KEY")
    assert tls.ca.startswith(b"-----BEGIN CA")
    assert tls.allowed_clients == {"gateway", "importer"}


@pytest.mark.parametrize("left_out", ["cert", "key", "ca"])
def test_one_file_missing_is_refused_by_name(pems: dict[str, str], left_out: str) -> None:
    given_paths = {name: (None if name == left_out else path) for name, path in pems.items()}
    with pytest.raises(GrpcTlsError, match=f"missing GRPC_TLS_{left_out.upper()}$"):
        load_tls(given_paths["cert"], given_paths["key"], given_paths["ca"])


def test_an_unreadable_file_is_named(pems: dict[str, str], tmp_path: Path) -> None:
    absent = str(tmp_path / "absent.pem")
    with pytest.raises(GrpcTlsError, match=r"GRPC_TLS_KEY=.*absent\.pem: cannot read it"):
        load_tls(pems["cert"], absent, pems["ca"])


def test_a_file_that_is_not_pem_is_refused(pems: dict[str, str], tmp_path: Path) -> None:
    der = tmp_path / "ca.der"
    der.write_bytes(b"\x30\x82\x01\x0a")
    with pytest.raises(GrpcTlsError, match=r"GRPC_TLS_CA=.*ca\.der: not a PEM file"):
        load_tls(pems["cert"], pems["key"], str(der))


def test_an_allow_list_without_tls_is_refused() -> None:
    with pytest.raises(GrpcTlsError, match="GRPC_TLS_ALLOWED_CLIENTS needs"):
        load_tls(None, None, None, "gateway")


def test_settings_read_the_variables_without_a_prefix(
    pems: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRPC_TLS_CERT", pems["cert"])
    monkeypatch.setenv("GRPC_TLS_KEY", pems["key"])
    monkeypatch.setenv("GRPC_TLS_CA", pems["ca"])
    monkeypatch.setenv("GRPC_TLS_ALLOWED_CLIENTS", "gateway")
    for settings in (IntakeSettings(), ImporterSettings()):
        assert settings.grpc_tls is not None
        assert settings.grpc_tls.allowed_clients == {"gateway"}


def test_settings_stop_a_half_configured_process(
    pems: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRPC_TLS_CERT", pems["cert"])
    with pytest.raises(ValidationError, match="missing GRPC_TLS_CA, GRPC_TLS_KEY"):
        IntakeSettings()


_NAMES = st.lists(
    st.text(st.characters(exclude_categories=("Z", "C"), exclude_characters=","), min_size=1),
    max_size=5,
)


@given(names=_NAMES, separator=st.sampled_from([",", ", ", " ,", ",,"]))
def test_the_allow_list_is_its_names_whatever_the_spacing(names: list[str], separator: str) -> None:
    assert parse_allowed_clients(separator.join(names)) == frozenset(names)

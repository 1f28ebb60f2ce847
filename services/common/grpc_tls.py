"""Optional mutual TLS for the internal gRPC, and the one way every process dials or binds it.

Set `GRPC_TLS_CERT`, `GRPC_TLS_KEY` and `GRPC_TLS_CA` (PEM files) in every process, or none
of them. With them, servers take only clients that show a certificate signed by the CA, and
every channel shows the process's own certificate and checks the server's against the CA
(the server's certificate must name the host the client dials). Without them, everything is
plaintext, as on a development machine. `GRPC_TLS_ALLOWED_CLIENTS` (comma-separated common
names) lets only those clients call a server's methods (health checks excepted), so that a
certificate issued for something else cannot pass an actor of its choice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from pydantic import AliasChoices, Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "ClientAllowList",
    "GrpcTls",
    "GrpcTlsError",
    "GrpcTlsSettings",
    "aio_channel",
    "bind",
    "load_tls",
    "parse_allowed_clients",
    "sync_channel",
]

#: Open to any client the CA vouches for, whatever its name: probes and health checks.
_HEALTH_SERVICE = "/grpc.health.v1.Health/"

_ChannelOptions = Sequence[tuple[str, Any]]


class GrpcTlsError(ValueError):
    """The TLS settings are incomplete or name a file that cannot be read."""


@dataclass(frozen=True, slots=True)
class GrpcTls:
    """A process's certificate and key, the CA it trusts, and the clients its servers take
    (every client the CA vouches for when `allowed_clients` is empty)."""

    cert: bytes
    key: bytes
    ca: bytes
    allowed_clients: frozenset[str] = frozenset()

    def server_credentials(self) -> grpc.ServerCredentials:
        """Credentials that make a server ask every client for a certificate from the CA."""
        return grpc.ssl_server_credentials(
            [(self.key, self.cert)], root_certificates=self.ca, require_client_auth=True
        )

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """Credentials that show this process's certificate and trust only the CA."""
        return grpc.ssl_channel_credentials(self.ca, self.key, self.cert)


def _read_pem(variable: str, path: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise GrpcTlsError(f"{variable}={path}: cannot read it ({exc.strerror})") from exc
    if b"-----BEGIN " not in data:
        raise GrpcTlsError(f"{variable}={path}: not a PEM file")
    return data


def parse_allowed_clients(text: str) -> frozenset[str]:
    """The common names in a comma-separated list, blanks ignored."""
    return frozenset(name.strip() for name in text.split(",") if name.strip())


def load_tls(
    cert: str | None, key: str | None, ca: str | None, allowed_clients: str = ""
) -> GrpcTls | None:
    """The TLS the three file paths describe, or None when none is given.

    Raises GrpcTlsError when only some are given or a file cannot be read, and when an
    allow-list is given without TLS."""
    paths = {"GRPC_TLS_CERT": cert, "GRPC_TLS_KEY": key, "GRPC_TLS_CA": ca}
    given = {name: path for name, path in paths.items() if path}
    names = parse_allowed_clients(allowed_clients)
    if not given:
        if names:
            raise GrpcTlsError("GRPC_TLS_ALLOWED_CLIENTS needs GRPC_TLS_CERT, _KEY and _CA")
        return None
    if missing := sorted(paths.keys() - given.keys()):
        raise GrpcTlsError(
            f"gRPC TLS needs GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA together; "
            f"missing {', '.join(missing)}"
        )
    pem = {name: _read_pem(name, path) for name, path in given.items()}
    return GrpcTls(pem["GRPC_TLS_CERT"], pem["GRPC_TLS_KEY"], pem["GRPC_TLS_CA"], names)


class GrpcTlsSettings(BaseSettings):
    """The `GRPC_TLS_*` variables (read without a prefix, alike in every process), loaded
    and checked when the settings are built: a process misconfigured this way does not
    start."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    grpc_tls_cert: str | None = Field(
        default=None, validation_alias=AliasChoices("GRPC_TLS_CERT", "grpc_tls_cert")
    )
    grpc_tls_key: str | None = Field(
        default=None, validation_alias=AliasChoices("GRPC_TLS_KEY", "grpc_tls_key")
    )
    grpc_tls_ca: str | None = Field(
        default=None, validation_alias=AliasChoices("GRPC_TLS_CA", "grpc_tls_ca")
    )
    grpc_tls_allowed_clients: str = Field(
        default="",
        validation_alias=AliasChoices("GRPC_TLS_ALLOWED_CLIENTS", "grpc_tls_allowed_clients"),
    )
    _tls: GrpcTls | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        """Read the certificate files once, now."""
        super().model_post_init(context)
        self._tls = load_tls(
            self.grpc_tls_cert, self.grpc_tls_key, self.grpc_tls_ca, self.grpc_tls_allowed_clients
        )

    @property
    def grpc_tls(self) -> GrpcTls | None:
        """The mutual TLS to use, or None for plaintext."""
        return self._tls


def aio_channel(
    target: str, tls: GrpcTls | None, options: _ChannelOptions = ()
) -> grpc.aio.Channel:
    """An asyncio channel to `target`: over mutual TLS when `tls` is given."""
    if tls is None:
        return grpc.aio.insecure_channel(target, options=options)
    return grpc.aio.secure_channel(target, tls.channel_credentials(), options=options)


def sync_channel(target: str, tls: GrpcTls | None, options: _ChannelOptions = ()) -> grpc.Channel:
    """A blocking channel to `target`: over mutual TLS when `tls` is given."""
    if tls is None:
        return grpc.insecure_channel(target, options=options)
    return grpc.secure_channel(target, tls.channel_credentials(), options=options)


def bind(server: grpc.aio.Server, address: str, tls: GrpcTls | None) -> int:
    """Listen on `address` (mutual TLS when `tls` is given); returns the port bound."""
    if tls is None:
        return server.add_insecure_port(address)
    return server.add_secure_port(address, tls.server_credentials())


def _common_names(context: grpc.aio.ServicerContext[Any, Any]) -> list[str]:
    auth = context.auth_context() or {}
    return [name.decode(errors="replace") for name in auth.get("x509_common_name", ())]


class ClientAllowList(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Lets only clients whose certificate's common name is in `allowed` call a method
    (health checks excepted); others get PERMISSION_DENIED before the method runs."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self._allowed = allowed

    async def _check(self, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        names = _common_names(context)
        if not self._allowed.intersection(names):
            shown = names[0] if names else "(no certificate name)"
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"client {shown!r} may not call this service (GRPC_TLS_ALLOWED_CLIENTS)",
            )

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(_HEALTH_SERVICE):
            return handler
        check = self._check
        if handler.unary_unary or handler.stream_unary:
            inner: Any = handler.unary_unary or handler.stream_unary

            async def answer(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                await check(context)
                return await inner(request, context)

            make = (grpc.unary_unary_rpc_method_handler if handler.unary_unary
                    else grpc.stream_unary_rpc_method_handler)  # fmt: skip
            return make(answer, handler.request_deserializer, handler.response_serializer)
        streaming: Any = handler.unary_stream or handler.stream_stream

        async def stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            await check(context)
            async for item in streaming(request, context):
                yield item

        make = (grpc.unary_stream_rpc_method_handler if handler.unary_stream
                else grpc.stream_stream_rpc_method_handler)  # fmt: skip
        return make(stream, handler.request_deserializer, handler.response_serializer)

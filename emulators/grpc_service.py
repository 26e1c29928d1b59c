"""Serving a Google gRPC API from the message classes its client library ships.

Google's Python clients carry the request and response classes of their APIs (proto-plus
messages, or protobuf ones such as ``Empty``), but no server stubs. A generic gRPC handler plus
those classes' own (de)serialisers is all an emulator needs: the wire format is then exactly what
the real client library sends and expects. Every Switchyard gRPC emulator (Cloud Tasks, Secret
Manager, Cloud Scheduler) serves through this module and pages its List methods with
:func:`paginate`; :mod:`emulators.grpc_cli` is their command line.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.protobuf.empty_pb2 import Empty

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RpcError(Exception):
    """An error the emulator answers with a gRPC status, as Google's service would.

    Attributes:
        code: The gRPC status code, such as ``grpc.StatusCode.NOT_FOUND``.
        message: Human-readable detail sent to the client.
    """

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Method:
    """One RPC: its implementation and its request and response message classes.

    Attributes:
        handler: ``handler(request) -> response``; raises :class:`RpcError` for a status.
        request_type: Message class of the request (proto-plus or protobuf).
        response_type: Message class of the response (proto-plus or protobuf).
    """

    handler: Callable[[Any], Any]
    request_type: type
    response_type: type


def returning_empty(action: Callable[[Any], object]) -> Callable[[Any], Empty]:
    """A handler that runs ``action(request)`` and answers ``Empty``, as Delete methods do.

    Args:
        action: Called with the request; its return value is dropped.

    Returns:
        A handler for :class:`Method` with response type ``Empty``.
    """

    def handler(request: Any) -> Empty:
        action(request)
        return Empty()

    return handler


def _deserializer(message_type: type) -> Callable[[bytes], Any]:
    if hasattr(message_type, "deserialize"):  # proto-plus
        return message_type.deserialize  # type: ignore[no-any-return]
    return message_type.FromString  # type: ignore[attr-defined, no-any-return]


def _serializer(message_type: type) -> Callable[[Any], bytes]:
    if hasattr(message_type, "serialize"):  # proto-plus
        return message_type.serialize  # type: ignore[no-any-return]
    return lambda message: message.SerializeToString()  # type: ignore[no-any-return]


def _unary(method: Method, name: str) -> grpc.RpcMethodHandler:
    def behaviour(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method.handler(request)
        except RpcError as error:
            context.abort(error.code, error.message)
        except Exception:  # an emulator bug must reach the client as INTERNAL, and the log
            logger.exception("emulator method %s failed", name)
            context.abort(grpc.StatusCode.INTERNAL, f"emulator error in {name}")

    return grpc.unary_unary_rpc_method_handler(
        behaviour,
        request_deserializer=_deserializer(method.request_type),
        response_serializer=_serializer(method.response_type),
    )


def generic_handler(service: str, methods: Mapping[str, Method]) -> grpc.GenericRpcHandler:
    """A handler serving ``methods`` as the gRPC service ``service``.

    Args:
        service: Fully qualified service name, such as ``"google.cloud.tasks.v2.CloudTasks"``.
        methods: Method name (``"CreateTask"``) to its :class:`Method`.

    Returns:
        A handler to pass to :func:`start_server`.
    """
    handlers = {name: _unary(method, f"{service}/{name}") for name, method in methods.items()}
    return grpc.method_handlers_generic_handler(service, handlers)


def start_server(
    handlers: list[grpc.GenericRpcHandler], host: str, port: int, max_workers: int = 16
) -> tuple[grpc.Server, int]:
    """Start an insecure gRPC server and return it with the port it bound.

    Args:
        handlers: Generic handlers, one per service.
        host: Interface to bind, such as ``"127.0.0.1"``.
        port: TCP port, or 0 for any free port.
        max_workers: Threads serving RPCs at once.

    Returns:
        ``(server, bound_port)``; stop it with ``server.stop(grace)``.

    Raises:
        RuntimeError: When the port cannot be bound.
    """
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers))
    server.add_generic_rpc_handlers(handlers)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise RuntimeError(f"cannot bind {host}:{port}")
    server.start()
    return server, bound


def paginate(
    items: Sequence[T],
    page_size: int,
    page_token: str,
    max_page_size: int,
    key: Callable[[T], str] | None = None,
) -> tuple[list[T], str]:
    """One page of ``items`` and the token of the next, as Google's List methods answer.

    Two kinds of token, both opaque to callers as Google's are:

    - ``key`` None: the token is the offset of the next page, so a listing that changes between
      two calls can repeat or skip an item.
    - ``key`` given: ``items`` must be sorted by ``key(item)``, a unique string such as the
      resource name; the token carries the last key returned (URL-safe base64) and the next
      page resumes after it, so deletions between two calls neither skip nor repeat items.

    Args:
        items: The whole listing in its documented order.
        page_size: Requested page size; 0 lets the server choose (Google: "If unspecified, the
            page size will be the maximum").
        page_token: ``""`` for the first page, else a ``next_page_token`` from this function
            with the same ``key``.
        max_page_size: Largest page the method returns.
        key: The sort key of ``items`` for resuming tokens, or None for offset tokens.

    Returns:
        ``(page, next_page_token)``; the token is ``""`` on the last page.

    Raises:
        RpcError: INVALID_ARGUMENT for a negative page size or a token this function did not
            make.
    """
    if page_size < 0:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "page_size must not be negative")
    size = min(page_size or max_page_size, max_page_size)
    start = _page_start(items, page_token, key)
    page = list(items[start : start + size])
    if start + size >= len(items):
        return page, ""
    if key is None:
        return page, str(start + size)
    return page, base64.urlsafe_b64encode(key(page[-1]).encode()).decode()


def _page_start(items: Sequence[T], page_token: str, key: Callable[[T], str] | None) -> int:
    if not page_token:
        return 0
    invalid = RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid page_token {page_token!r}")
    if key is None:
        if not page_token.isdigit():
            raise invalid
        return int(page_token)
    try:
        after = base64.urlsafe_b64decode(page_token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise invalid from error
    return bisect.bisect_right(items, after, key=key)

"""The gRPC face of the Secret Manager emulator: ``google.cloud.secretmanager.v1``.

Serves the secret and version methods Switchyard uses with the message classes that
google-cloud-secret-manager ships; any other method (UpdateSecret, IAM, rotation) answers
UNIMPLEMENTED, as gRPC does for an unknown method.
"""

from __future__ import annotations

import grpc
from google.cloud.secretmanager_v1 import types
from google.protobuf.empty_pb2 import Empty

from emulators.grpc_service import Method, RpcError, generic_handler, paginate, returning_empty
from emulators.secret_manager.store import SecretStore

SERVICE = "google.cloud.secretmanager.v1.SecretManagerService"
_MAX_PAGE_SIZE = 25_000  # Google caps List page sizes here
_State = types.SecretVersion.State


def _no_filter(request: types.ListSecretsRequest | types.ListSecretVersionsRequest) -> None:
    # Silently ignoring a filter would return more than Google does.
    if request.filter:
        raise RpcError(grpc.StatusCode.UNIMPLEMENTED, "the emulator does not support filter")


def secret_manager_handler(store: SecretStore) -> grpc.GenericRpcHandler:
    """A gRPC handler serving ``SecretManagerService`` from ``store``.

    Args:
        store: Where the secrets live; one store per emulator process.

    Returns:
        A handler for :func:`emulators.grpc_service.start_server`.
    """

    def list_secrets(request: types.ListSecretsRequest) -> types.ListSecretsResponse:
        _no_filter(request)
        secrets = store.list_secrets(request.parent)
        page, token = paginate(secrets, request.page_size, request.page_token, _MAX_PAGE_SIZE)
        return types.ListSecretsResponse(
            secrets=page, next_page_token=token, total_size=len(secrets)
        )

    def list_versions(request: types.ListSecretVersionsRequest) -> types.ListSecretVersionsResponse:
        _no_filter(request)
        versions = store.list_versions(request.parent)
        page, token = paginate(versions, request.page_size, request.page_token, _MAX_PAGE_SIZE)
        return types.ListSecretVersionsResponse(
            versions=page, next_page_token=token, total_size=len(versions)
        )

    methods = {
        "CreateSecret": Method(
            lambda r: store.create_secret(r.parent, r.secret_id, r.secret),
            types.CreateSecretRequest,
            types.Secret,
        ),
        "GetSecret": Method(
            lambda r: store.get_secret(r.name), types.GetSecretRequest, types.Secret
        ),
        "ListSecrets": Method(list_secrets, types.ListSecretsRequest, types.ListSecretsResponse),
        "DeleteSecret": Method(
            returning_empty(lambda r: store.delete_secret(r.name, r.etag)),
            types.DeleteSecretRequest,
            Empty,
        ),
        "AddSecretVersion": Method(
            lambda r: store.add_version(r.parent, r.payload),
            types.AddSecretVersionRequest,
            types.SecretVersion,
        ),
        "GetSecretVersion": Method(
            lambda r: store.get_version(r.name), types.GetSecretVersionRequest, types.SecretVersion
        ),
        "AccessSecretVersion": Method(
            lambda r: store.access_version(r.name),
            types.AccessSecretVersionRequest,
            types.AccessSecretVersionResponse,
        ),
        "ListSecretVersions": Method(
            list_versions, types.ListSecretVersionsRequest, types.ListSecretVersionsResponse
        ),
        "DisableSecretVersion": Method(
            lambda r: store.set_version_state(r.name, _State.DISABLED, r.etag),
            types.DisableSecretVersionRequest,
            types.SecretVersion,
        ),
        "EnableSecretVersion": Method(
            lambda r: store.set_version_state(r.name, _State.ENABLED, r.etag),
            types.EnableSecretVersionRequest,
            types.SecretVersion,
        ),
        "DestroySecretVersion": Method(
            lambda r: store.set_version_state(r.name, _State.DESTROYED, r.etag),
            types.DestroySecretVersionRequest,
            types.SecretVersion,
        ),
    }
    return generic_handler(SERVICE, methods)

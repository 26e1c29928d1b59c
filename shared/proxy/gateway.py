"""One tool call's passage through the proxy: grant check, injection, egress, redaction.

A tool never builds a request of its own: it calls :meth:`ProxyCall.send`, naming a credential
by its id if it needs one. The proxy checks the credential belongs to the run's organisation, is
not revoked and is granted to the run's agent for the method, host and path of every hop,
injects the value as a header, sends with the call's idempotency key through the SSRF-safe
client, and remembers every value it injected so that :attr:`ProxyCall.redactor` removes them
from whatever the call returns, stores, traces or logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from shared import resources
from shared.composition import Dependencies
from shared.domain.credentials import Credential, CredentialType, Grant
from shared.domain.runs import Run
from shared.errors import NotFoundError, PermanentError, PolicyViolationError
from shared.proxy.redaction import Redactor
from shared.proxy.vault import load_secret
from shared.tools.safe_http import Fetched, send

# Relative names only: no scheme, no leading slash, no "..", nothing a bucket would misread.
ARTIFACT_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._/-]{0,199}")
# last_used_at is written at most this often, so a busy credential's document stays cool.
USE_RECORD_INTERVAL = timedelta(minutes=1)


@dataclass
class ProxyCall:
    """The proxy's state for one tool call.

    Attributes:
        deps: Dependencies.
        run: The run making the call.
        http: The SSRF-safe client.
        idempotency_key: Sent as ``Idempotency-Key`` on every request.
        redactor: Holds every secret value injected during the call.
        targets: ``METHOD URL`` of every hop attempted, refused ones included.
        credential_id: The credential the call referenced, if any.
    """

    deps: Dependencies
    run: Run
    http: httpx.Client
    idempotency_key: str
    redactor: Redactor = field(default_factory=Redactor)
    targets: list[str] = field(default_factory=list)
    credential_id: str | None = None

    def send(
        self,
        method: str,
        url: str,
        *,
        timeout_s: float,
        max_bytes: int,
        credential: str | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        check_hop: Callable[[httpx.URL], None] | None = None,
    ) -> Fetched:
        """Send one request (and its redirects) through the proxy.

        Args:
            method: HTTP method.
            url: Absolute http(s) URL.
            timeout_s: Time limit of the exchange, in seconds.
            max_bytes: Most body bytes read.
            credential: A credential id to inject, or None.
            headers: Extra request headers (never a secret: the model wrote them).
            content: Request body.
            check_hop: The tool's own check of each hop (e.g. its allow-list).

        Returns:
            The response, not yet redacted (the caller's result is, by :func:`run_tool`).

        Raises:
            PolicyViolationError: Codes ``credential_not_granted``, ``credential_revoked``,
                ``egress_refused`` and the tool's own.
            PermanentError: Codes ``invalid_url``, ``credential_unavailable``.
            TransientError: Code ``tool_target_unavailable``.
        """
        method = method.upper()
        sent = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
        sent["Idempotency-Key"] = self.idempotency_key
        grant: Grant | None = None
        injected: list[str] = []
        if credential is not None:
            self.credential_id = credential
            found = self._credential(credential)
            grant = self._grant(found, method, url)
            secret = load_secret(self.deps, found, self.http)
            self.redactor.add(secret.values())
            if not (secret.value or secret.access_token):
                raise PermanentError("credential_unavailable", "the credential holds no value")
            header, value = _injection(found, secret.value or secret.access_token or "")
            sent = {k: v for k, v in sent.items() if k.lower() != header.lower()}
            sent[header] = value
            injected.append(header)
            self._record_use(found)

        def hop(target: httpx.URL) -> None:
            self.targets.append(self.redactor.text(f"{method} {target.copy_with(query=None)}"))
            if grant is not None and not grant.allows(method, target.host, target.path):
                raise PolicyViolationError(
                    "credential_not_granted",
                    f"credential {credential} is not granted for {method} {target.host}"
                    f"{target.path}",
                )
            if check_hop is not None:
                check_hop(target)

        return send(self.http, method, url, headers=sent, content=content, timeout_s=timeout_s,
                    max_bytes=max_bytes, check_hop=hop, credential_headers=injected)  # fmt: skip

    def write_artifact(self, name: str, data: bytes, content_type: str) -> str:
        """Write an artifact under the run's agent's prefix of the artifacts bucket.

        Args:
            name: Relative object name (letters, digits, ``._-/``; no ``..``).
            data: Content.
            content_type: MIME type.

        Returns:
            The ``gs://`` URI.

        Raises:
            PolicyViolationError: Code ``artifact_name_refused``.
            TransientError: Storage is unavailable.
        """
        if not ARTIFACT_NAME.fullmatch(name) or ".." in name.split("/"):
            self.targets.append(f"PUT artifacts/{name[:200]!r}")
            raise PolicyViolationError("artifact_name_refused", f"{name[:200]!r} is not allowed")
        object_name = f"{self.run.org_id}/{self.run.agent_id}/artifacts/{name}"
        self.targets.append(f"PUT {resources.ARTIFACTS_BUCKET_SUFFIX}/{object_name}")
        return self.deps.blobs.put(
            resources.ARTIFACTS_BUCKET_SUFFIX, object_name, data, content_type
        )

    def _credential(self, credential_id: str) -> Credential:
        try:
            found = self.deps.credentials.get(credential_id)
        except NotFoundError:
            found = None
        # Another organisation's credential is reported exactly like a missing one.
        if found is None or found.org_id != self.run.org_id:
            raise PolicyViolationError(
                "credential_not_granted", f"credential {credential_id} is not granted to this agent"
            )
        if found.revoked_at is not None:
            raise PolicyViolationError(
                "credential_revoked", f"credential {credential_id} is revoked"
            )
        return found

    def _grant(self, credential: Credential, method: str, url: str) -> Grant:
        for grant in credential.grants:
            if grant.agent_id == self.run.agent_id:
                return grant
        self.targets.append(f"{method} {url.split('?', 1)[0]}")
        raise PolicyViolationError(
            "credential_not_granted",
            f"credential {credential.credential_id} is not granted to this agent",
        )

    def _record_use(self, credential: Credential) -> None:
        now = self.deps.clock()
        if credential.last_used_at is None or now - credential.last_used_at > USE_RECORD_INTERVAL:
            self.deps.credentials.record_use(credential.credential_id, now)


def _injection(credential: Credential, value: str) -> tuple[str, str]:
    if credential.type is CredentialType.API_KEY:
        return credential.header, value
    return "Authorization", f"Bearer {value}"

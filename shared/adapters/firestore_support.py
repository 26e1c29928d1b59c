"""What the Firestore adapters share: model ↔ document conversion, transactions, errors, indexes.

Documents hold a model's fields as the model's JSON form, except that:

- top-level timestamps are Firestore timestamps (timezone-aware UTC when read back), so that
  queries can order by them;
- fields that hold arbitrary JSON (a run's input, an event's data, a tool's output, an agent
  spec) are stored as JSON text: Firestore refuses arrays directly inside arrays and empty map
  keys, which user JSON may contain, and nothing queries inside those fields.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from google.api_core.exceptions import Aborted, AlreadyExists, GoogleAPIError, InvalidArgument
from google.cloud import firestore

from shared.domain.base import Model
from shared.errors import TransientError

M = TypeVar("M", bound=Model)
R = TypeVar("R")

# Read-write transactions are retried when Firestore aborts them for contention: a run document
# takes a burst of transactions when a step's tool calls finish together. Delays in seconds.
TRANSACTION_ATTEMPTS = 10
FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 2.0


@dataclass(frozen=True)
class FirestoreIndex:
    """A composite index a query needs in production (the emulator needs none).

    The same shape as Terraform's ``google_firestore_index``, so the declarations can be
    generated from, or checked against, the adapters' ``FIRESTORE_INDEXES``.

    Attributes:
        collection: Collection id the index serves.
        fields: ``(field_path, "ASCENDING" | "DESCENDING")`` pairs, in index order.
        query_scope: ``COLLECTION`` or ``COLLECTION_GROUP``.
    """

    collection: str
    fields: tuple[tuple[str, Literal["ASCENDING", "DESCENDING"]], ...]
    query_scope: Literal["COLLECTION", "COLLECTION_GROUP"] = "COLLECTION"


class DocumentCodec(Generic[M]):
    """Converts one model type to Firestore documents and back.

    Args:
        model: The model class.
        json_fields: Fields stored as JSON text (see the module docstring).
    """

    def __init__(self, model: type[M], json_fields: Collection[str] = ()) -> None:
        self._model = model
        self._json_fields = frozenset(json_fields)

    def encode(self, value: M) -> dict[str, Any]:
        """The document of ``value``; naive timestamps are taken as UTC, as Firestore does."""
        document = value.model_dump(mode="json", by_alias=True)
        for name in type(value).model_fields:
            field = getattr(value, name)
            if isinstance(field, datetime):
                document[name] = _utc(field)
        for name in self._json_fields:
            document[name] = json.dumps(document[name], separators=(",", ":"))
        return document

    def decode(self, document: Mapping[str, Any]) -> M:
        """The model stored in ``document``."""
        fields: dict[str, Any] = {
            name: _utc(value) if isinstance(value, datetime) else value
            for name, value in document.items()
        }
        for name in self._json_fields & fields.keys():
            fields[name] = json.loads(fields[name])
        return self._model.model_validate(fields)


def _utc(moment: datetime) -> datetime:
    # Firestore reads give DatetimeWithNanoseconds; a plain datetime compares and prints as
    # callers expect. Naive values are UTC, as the client library writes them.
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return datetime(
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond,
        tzinfo=UTC,
    )


def snapshot_data(snapshot: firestore.DocumentSnapshot) -> dict[str, Any]:
    """The fields of a snapshot known to exist (``to_dict`` is typed optional)."""
    data = snapshot.to_dict()
    assert data is not None, f"{snapshot.reference.path} does not exist"
    return data


@contextlib.contextmanager
def firestore_errors() -> Iterator[None]:
    """Turn Firestore failures that a retry may fix into :class:`TransientError`.

    ``AlreadyExists`` is left to the caller, which knows the conflict it means, and
    ``InvalidArgument`` (a document over 1 MiB, say) cannot be fixed by retrying.

    Raises:
        TransientError: Code ``firestore_unavailable``.
    """
    try:
        yield
    except (AlreadyExists, InvalidArgument):
        raise
    except GoogleAPIError as error:
        raise TransientError("firestore_unavailable", f"Firestore failed: {error}") from error


def run_transaction(client: firestore.Client, body: Callable[[firestore.Transaction], R]) -> R:
    """Run ``body`` in a read-write transaction, again from the start when it is aborted.

    ``body`` must read everything before it writes, and may run several times. The client
    library retries an aborted commit at once; this loop waits a random, growing delay first,
    so that contenders for one document stop colliding (the emulator resolves each collision
    only after a 2-second lock timeout, and immediate retries collide again).

    Returns:
        What ``body`` returned on the attempt that committed.

    Raises:
        TransientError: Code ``firestore_contention`` when every attempt was aborted, or
            ``firestore_unavailable``.
    """

    @firestore.transactional
    def attempt(transaction: firestore.Transaction) -> R:
        return body(transaction)

    with firestore_errors():
        for number in range(TRANSACTION_ATTEMPTS):
            try:
                return attempt(client.transaction(max_attempts=1))
            except (Aborted, ValueError) as error:
                # An aborted read raises Aborted; an aborted commit, a ValueError from it.
                if not isinstance(error, Aborted) and not isinstance(error.__cause__, Aborted):
                    raise
            time.sleep(random.uniform(0, min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2**number)))
    raise TransientError(
        "firestore_contention", f"transaction aborted {TRANSACTION_ATTEMPTS} times by contention"
    )

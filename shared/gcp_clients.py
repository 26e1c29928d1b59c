"""Google client construction, the one place that knows about the local emulators.

Pub/Sub, Firestore and Cloud Storage find their emulators through Google's own environment
variables, so their default constructors already do the right thing. Cloud Tasks, Secret Manager,
Cloud Scheduler and Vertex AI have no such variable: when the settings name an emulator, these
factories give the real client library an insecure gRPC channel (or base URL) to it instead of
Google's endpoint. firebase-admin finds the Firebase Auth emulator through
``FIREBASE_AUTH_EMULATOR_HOST`` itself (and then accepts the emulator's unsigned ID tokens). No
other code path differs between the local stack and Google Cloud.
"""

from __future__ import annotations

import threading

import firebase_admin
import grpc
from google.cloud import scheduler_v1, secretmanager, tasks_v2
from google.cloud.firestore import Client as FirestoreClient
from google.cloud.scheduler_v1.services.cloud_scheduler.transports import (
    CloudSchedulerGrpcTransport,
)
from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
    SecretManagerServiceGrpcTransport,
)
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport
from google.genai import Client as GenaiClient
from google.genai import types as genai_types
from google.oauth2.credentials import Credentials as OAuth2Credentials

from shared.settings import Settings


def cloud_tasks_client(settings: Settings) -> tasks_v2.CloudTasksClient:
    """A Cloud Tasks client for Google Cloud, or for the emulator the settings name."""
    if settings.cloud_tasks_emulator_host:
        channel = grpc.insecure_channel(settings.cloud_tasks_emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


def secret_manager_client(settings: Settings) -> secretmanager.SecretManagerServiceClient:
    """A Secret Manager client for Google Cloud, or for the emulator the settings name."""
    if settings.secret_manager_emulator_host:
        channel = grpc.insecure_channel(settings.secret_manager_emulator_host)
        return secretmanager.SecretManagerServiceClient(
            transport=SecretManagerServiceGrpcTransport(channel=channel)
        )
    return secretmanager.SecretManagerServiceClient()


def scheduler_client(settings: Settings) -> scheduler_v1.CloudSchedulerClient:
    """A Cloud Scheduler client for Google Cloud, or for the emulator the settings name."""
    if settings.scheduler_emulator_host:
        channel = grpc.insecure_channel(settings.scheduler_emulator_host)
        return scheduler_v1.CloudSchedulerClient(
            transport=CloudSchedulerGrpcTransport(channel=channel)
        )
    return scheduler_v1.CloudSchedulerClient()


def genai_client(settings: Settings) -> GenaiClient:
    """A google-genai client in Vertex AI mode, pointed at the Gemini emulator when one is set.

    The emulator checks no credentials, but google-genai in Vertex mode sends a bearer token and
    refreshes credentials that have none (anonymous ones raise on refresh), so it gets a fixed
    placeholder token that never expires. On Google Cloud the client uses Application Default
    Credentials.
    """
    if settings.vertex_base_url:
        return GenaiClient(
            vertexai=True,
            project=settings.project_id,
            location=settings.vertex_location,
            credentials=OAuth2Credentials(token="emulator"),
            http_options=genai_types.HttpOptions(base_url=settings.vertex_base_url),
        )
    return GenaiClient(
        vertexai=True, project=settings.project_id, location=settings.vertex_location
    )


def firestore_client(settings: Settings) -> FirestoreClient:
    """A Firestore client; it finds the emulator through ``FIRESTORE_EMULATOR_HOST`` itself."""
    return FirestoreClient(project=settings.project_id)


FIREBASE_APP_NAME = "switchyard"
_firebase_lock = threading.Lock()


def firebase_app(settings: Settings) -> firebase_admin.App:
    """The process's firebase-admin app for the settings' project, initialised on first use.

    It uses Application Default Credentials on Google Cloud (loaded lazily, when a call needs
    them); against the Auth emulator firebase-admin needs none.

    Raises:
        RuntimeError: ``FIREBASE_AUTH_EMULATOR_HOST`` is set for a project whose id does not
            start with ``demo-``: firebase-admin would then accept unsigned ID tokens, so
            anyone could sign in as anyone.
    """
    if settings.firebase_auth_emulator_host and not settings.project_id.startswith("demo-"):
        raise RuntimeError(
            "FIREBASE_AUTH_EMULATOR_HOST is set for a real project: refusing unsigned ID tokens"
        )
    with _firebase_lock:
        try:
            return firebase_admin.get_app(FIREBASE_APP_NAME)
        except ValueError:  # not initialised yet
            return firebase_admin.initialize_app(
                options={"projectId": settings.project_id}, name=FIREBASE_APP_NAME
            )

"""Typed configuration, read once from the environment.

Every Switchyard setting has the prefix ``SWITCHYARD_``. Google's own variables keep their
names (``GOOGLE_CLOUD_PROJECT``, ``PUBSUB_EMULATOR_HOST``, ``FIRESTORE_EMULATOR_HOST``,
``STORAGE_EMULATOR_HOST``), because Google's client libraries read them too. Nothing else in
the code base reads ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Switchyard configuration.

    Attributes:
        project_id: Google Cloud project id (``GOOGLE_CLOUD_PROJECT``).
        region: Region of the Cloud Run services, functions and queues (``SWITCHYARD_REGION``).
        vertex_location: Vertex AI location for Gemini calls.
        pubsub_emulator_host: ``host:port`` of the Pub/Sub emulator, or None on Google Cloud.
        firestore_emulator_host: ``host:port`` of the Firestore emulator, or None.
        storage_emulator_host: URL of the Cloud Storage emulator, or None.
        cloud_tasks_emulator_host: ``host:port`` of Switchyard's Cloud Tasks emulator, or None.
        secret_manager_emulator_host: ``host:port`` of the Secret Manager emulator, or None.
        scheduler_emulator_host: ``host:port`` of the Cloud Scheduler emulator, or None.
        vertex_base_url: Base URL of the Gemini emulator, or None for Vertex AI itself.
        firebase_auth_emulator_host: ``host:port`` of the Firebase Auth emulator
            (``FIREBASE_AUTH_EMULATOR_HOST``, which firebase-admin reads itself), or None.
        executor_url: Base URL of the executor service, the target of Cloud Tasks and pushes.
        api_url: Public base URL of the API service.
        tasks_invoker_email: Service account whose OIDC token Cloud Tasks and Pub/Sub push
            present to the private executor; None on the local stack.
        egress_allowed_networks: CIDR blocks that agent tools and deliveries may reach although
            they are not public (JSON list, e.g. ``["127.0.0.0/8"]`` for the local demo only).
            Empty in production: only global addresses are reachable.
        slack_api_base_url: Base URL of Slack's Web API for the ``slack_post`` tool; tests point
            it at a local Slack stand-in.
        log_level: Python logging level name.
    """

    model_config = SettingsConfigDict(
        env_prefix="SWITCHYARD_", extra="ignore", frozen=True, populate_by_name=True
    )

    project_id: str = Field(
        default="demo-switchyard",
        validation_alias=AliasChoices("GOOGLE_CLOUD_PROJECT", "SWITCHYARD_PROJECT_ID"),
    )
    region: str = "europe-west1"
    vertex_location: str = "us-central1"
    pubsub_emulator_host: str | None = Field(
        default=None, validation_alias=AliasChoices("PUBSUB_EMULATOR_HOST")
    )
    firestore_emulator_host: str | None = Field(
        default=None, validation_alias=AliasChoices("FIRESTORE_EMULATOR_HOST")
    )
    storage_emulator_host: str | None = Field(
        default=None, validation_alias=AliasChoices("STORAGE_EMULATOR_HOST")
    )
    cloud_tasks_emulator_host: str | None = None
    secret_manager_emulator_host: str | None = None
    scheduler_emulator_host: str | None = None
    vertex_base_url: str | None = None
    firebase_auth_emulator_host: str | None = Field(
        default=None, validation_alias=AliasChoices("FIREBASE_AUTH_EMULATOR_HOST")
    )
    executor_url: str | None = None
    api_url: str | None = None
    tasks_invoker_email: str | None = None
    egress_allowed_networks: tuple[str, ...] = ()
    slack_api_base_url: str = "https://slack.com/api"
    log_level: str = "INFO"

    @property
    def uses_emulators(self) -> bool:
        """True when any Google service is replaced by a local emulator."""
        return any(
            (
                self.pubsub_emulator_host,
                self.firestore_emulator_host,
                self.storage_emulator_host,
                self.cloud_tasks_emulator_host,
                self.secret_manager_emulator_host,
                self.scheduler_emulator_host,
                self.vertex_base_url,
                self.firebase_auth_emulator_host,
            )
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use and then cached."""
    return Settings()

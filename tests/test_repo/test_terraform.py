"""Terraform declares exactly what the code uses (DESIGN.md §5: names live once, drift fails).

Each check goes both ways: everything the Python declarations name (``shared.resources``, the
Firestore adapters' ``FIRESTORE_INDEXES``, ``shared.settings.Settings``) is declared in
``infra/terraform``, and nothing declared there is unused by the code. The Python side is always
imported, never restated here.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

import shared.adapters
from emulators.provision import sweep_job
from shared import resources
from shared.adapters.firestore_support import FirestoreIndex
from shared.domain.messages import SweepTick
from shared.settings import Settings
from tests.test_repo import port_usage
from tests.test_repo import terraform_model as tf

ROOT = tf.ROOT
SENTINEL = "{id}"

# Settings that are deliberately not set on Google Cloud, each with the reason.
NOT_SET_ON_GOOGLE_CLOUD = {
    "pubsub_emulator_host": "local stack only",
    "firestore_emulator_host": "local stack only",
    "storage_emulator_host": "local stack only",
    "cloud_tasks_emulator_host": "local stack only",
    "secret_manager_emulator_host": "local stack only",
    "scheduler_emulator_host": "local stack only",
    "vertex_base_url": "local stack only: Vertex AI itself when unset",
    "firebase_auth_emulator_host": "local stack only",
    "egress_allowed_networks": "empty in production: tools reach public addresses only",
    "slack_api_base_url": "tests only: Slack's own API when unset",
    "api_url": "a client's setting: cloudbuild.yaml's smoke test takes it from the api_url output",
}


@pytest.fixture(scope="module")
def module() -> tf.Config:
    return tf.module()


@pytest.fixture(scope="module")
def local(module: tf.Config) -> dict[str, Any]:
    return module.locals


def _services() -> set[str]:
    return {path.parent.name for path in (ROOT / "cloudrun").glob("*/main.py")}


def _functions() -> set[str]:
    return {path.parent.name for path in (ROOT / "functions").glob("*/main.py")}


# --- Pub/Sub -------------------------------------------------------------------------------


def test_topics(local: dict[str, Any], module: tf.Config) -> None:
    assert sorted(local["topics"]) == sorted(resources.PIPELINE_TOPICS)
    assert (
        module.resource("google_pubsub_topic", "pipeline")["for_each"] == "${toset(local.topics)}"
    )


def test_subscriptions_with_dead_letters_and_retry_policies(local: dict[str, Any]) -> None:
    declared = local["subscriptions"]
    for sub in resources.SUBSCRIPTIONS:
        expected = {
            **dataclasses.asdict(sub),
            "dead_letter_topic": sub.dead_letter_topic,
            "dead_letter_subscription": sub.dead_letter_subscription,
        }
        assert declared.get(sub.name) == expected, f"subscription {sub.name} differs"
    assert set(declared) == {sub.name for sub in resources.SUBSCRIPTIONS}, "unused subscriptions"


def test_dead_letter_topics_each_keep_their_messages(module: tf.Config) -> None:
    topic = module.resource("google_pubsub_topic", "dead_letter")
    inspect = module.resource("google_pubsub_subscription", "dead_letter_inspect")
    assert topic["for_each"] == inspect["for_each"] == "${local.subscriptions}"
    assert topic["name"] == "${each.value.dead_letter_topic}"
    assert inspect["name"] == "${each.value.dead_letter_subscription}"
    assert inspect["topic"] == "${google_pubsub_topic.dead_letter[each.key].id}"
    assert tf.block(inspect, "expiration_policy")["ttl"] == ""


def test_the_task_dead_letter_topic_keeps_what_the_executor_gives_up_on(module: tf.Config) -> None:
    topic = module.resource("google_pubsub_topic", "task_dead_letter")
    inspect = module.resource("google_pubsub_subscription", "task_dead_letter_inspect")
    assert topic["name"] == resources.TASK_DEAD_LETTER_TOPIC
    assert inspect["name"] == resources.TASK_DEAD_LETTER_SUBSCRIPTION
    assert inspect["topic"] == "${google_pubsub_topic.task_dead_letter.id}"
    assert tf.block(inspect, "expiration_policy")["ttl"] == ""


def test_each_consumer_is_a_deployed_service_or_function(local: dict[str, Any]) -> None:
    consumers = {sub.consumer for sub in resources.SUBSCRIPTIONS}
    assert set(local["services"]) == _services()
    assert consumers - _services() == _functions(), "every function consumes one subscription"
    assert "${{for name, sub in local.subscriptions" in local["function_subscriptions"]


def test_push_subscriptions_apply_the_declared_policy(module: tf.Config) -> None:
    push = module.resource("google_pubsub_subscription", "push")
    assert push["for_each"] == "${local.push_subscriptions}"
    assert push["ack_deadline_seconds"] == "${each.value.ack_deadline_s}"
    config = tf.block(push, "push_config")
    assert config["push_endpoint"] == "${local.executor_url}${each.value.push_path}"
    oidc = tf.block(config, "oidc_token")
    assert oidc["service_account_email"] == "${google_service_account.tasks_invoker.email}"
    assert oidc["audience"] == "${local.executor_url}"
    dead_letter = tf.block(push, "dead_letter_policy")
    assert dead_letter["dead_letter_topic"] == "${google_pubsub_topic.dead_letter[each.key].id}"
    assert dead_letter["max_delivery_attempts"] == "${each.value.max_delivery_attempts}"
    retry = tf.block(push, "retry_policy")
    assert retry["minimum_backoff"] == "${each.value.min_backoff_s}s"
    assert retry["maximum_backoff"] == "${each.value.max_backoff_s}s"


def test_functions_are_triggered_by_eventarc_with_the_declared_policy(module: tf.Config) -> None:
    function = module.resource("google_cloudfunctions2_function", "stage")
    assert function["for_each"] == "${local.function_subscriptions}"
    assert function["name"] == "${each.key}"
    build = tf.block(function, "build_config")
    assert build["entry_point"] == "${each.key}", "a function's target is its folder's name"
    assert build["runtime"] == "python311"
    trigger = tf.block(function, "event_trigger")
    assert trigger["event_type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert trigger["pubsub_topic"] == "${google_pubsub_topic.pipeline[each.value.topic].id}"
    assert trigger["retry_policy"] == "RETRY_POLICY_RETRY"
    assert tf.block(function, "service_config")["timeout_seconds"] == "${each.value.ack_deadline_s}"
    # The Eventarc-created subscription gets the same dead-letter and retry policy.
    policy = module.resource("terraform_data", "eventarc_subscription_policy")
    assert policy["for_each"] == "${local.function_subscriptions}"
    env = tf.block(policy, "provisioner")["local-exec"]["environment"]
    assert env["DEAD_LETTER_TOPIC"] == "${google_pubsub_topic.dead_letter[each.value.name].id}"
    for variable, field in [
        ("MAX_DELIVERY_ATTEMPTS", "max_delivery_attempts"),
        ("MIN_BACKOFF_S", "min_backoff_s"),
        ("MAX_BACKOFF_S", "max_backoff_s"),
        ("ACK_DEADLINE_S", "ack_deadline_s"),
    ]:
        assert env[variable] == "${each.value." + field + "}"


def test_every_consumer_may_publish_its_dead_letters(local: dict[str, Any]) -> None:
    # shared/transport/pubsub.py publishes poison messages to the subscription's DLQ itself.
    assert local["dead_letter_publishers"] == (
        "${{for name, sub in local.subscriptions : name => sub.consumer}}"
    )


def test_every_runtime_identity_has_its_grants_listed(local: dict[str, Any]) -> None:
    identities = _services() | _functions()
    assert set(local["publishes"]) == identities
    for topics in local["publishes"].values():
        assert set(topics) <= set(resources.PIPELINE_TOPICS)
    grantees = {
        *local["firestore_readers"],
        *local["model_callers"],
        *local["scheduler_job_managers"],
        *local["scheduler_job_deleters"],
        *(name for queue in local["queues"].values() for name in queue["enqueuers"]),
        *(name for bucket in local["buckets"].values() for name in bucket["writers"]),
        *(name for bucket in local["buckets"].values() for name in bucket["readers"]),
        *(name for secret in local["platform_secrets"].values() for name in secret["accessors"]),
    }
    assert grantees <= identities, f"grants to unknown identities: {grantees - identities}"
    for secret in local["runtime_secrets"].values():
        assert set(secret["readers"]) | set(secret["creators"]) <= identities | {"onboarding"}


# Ports a deployable's code reaches only statically, each with why it never uses it.
STATIC_OVERREACH = {
    ("deliver", "secrets"): "shared/pipeline/delivery.py also holds the executor's webhook "
    "delivery task, which signs; the deliver function only enqueues it",
    **{
        ("sweeper", port): "shared/pipeline/sweeper.py imports shared/pipeline/execution.py and "
        "tool_calls.py for their task ids and paths only: it enqueues the executor's work, and "
        "the executor calls the model, writes traces and reads credentials"
        for port in ("model", "blobs", "secrets")
    },
}


def _granted(local: dict[str, Any], identity: str, port: str) -> bool:
    if port == "model":
        return identity in local["model_callers"]
    if port == "tasks":
        return any(identity in queue["enqueuers"] for queue in local["queues"].values())
    if port == "blobs":
        return any(
            identity in bucket["writers"] or identity in bucket["readers"]
            for bucket in local["buckets"].values()
        )
    if port == "secrets":
        return any(identity in s["accessors"] for s in local["platform_secrets"].values()) or any(
            identity in s["readers"] or identity in s["creators"]
            for s in local["runtime_secrets"].values()
        )
    if port == "scheduler":
        return identity in local["scheduler_job_managers"] + local["scheduler_job_deleters"]
    return bool(local["publishes"].get(identity)) or identity in _functions()


def test_grants_follow_the_ports_each_deployable_uses(local: dict[str, Any]) -> None:
    reached = port_usage.reached_ports()
    assert set(reached) == _services() | _functions()
    wrong = []
    for identity, ports in sorted(reached.items()):
        for port in port_usage.PORTS:
            needed = port in ports and (identity, port) not in STATIC_OVERREACH
            if _granted(local, identity, port) != needed:
                wrong.append(f"{identity} {'needs' if needed else 'does not use'} {port}")
    assert wrong == [], "grants in locals.tf differ from what the code uses: " + "; ".join(wrong)


# --- Cloud Tasks -------------------------------------------------------------------------------


def test_queues_with_rate_limits_and_retry_configs(local: dict[str, Any]) -> None:
    declared = local["queues"]
    for queue in resources.QUEUES:
        fields = {key: declared.get(queue.name, {}).get(key) for key in dataclasses.asdict(queue)}
        assert fields == {**dataclasses.asdict(queue), "name": None}, f"queue {queue.name}"
    assert set(declared) == set(resources.QUEUES_BY_NAME), "unused queues"


def test_queue_resource_applies_the_declared_values(module: tf.Config) -> None:
    queue = module.resource("google_cloud_tasks_queue", "queue")
    assert queue["for_each"] == "${local.queues}"
    assert queue["name"] == "${each.key}"
    rates = tf.block(queue, "rate_limits")
    retry = tf.block(queue, "retry_config")
    assert rates == {
        "max_dispatches_per_second": "${each.value.max_dispatches_per_second}",
        "max_concurrent_dispatches": "${each.value.max_concurrent_dispatches}",
    }
    assert retry == {
        "max_attempts": "${each.value.max_attempts}",
        "min_backoff": "${each.value.min_backoff_s}s",
        "max_backoff": "${each.value.max_backoff_s}s",
        "max_doublings": "${each.value.max_doublings}",
    }


# --- Cloud Storage -----------------------------------------------------------------------------


def test_buckets_with_lifecycle_rules(local: dict[str, Any], module: tf.Config) -> None:
    assert set(local["buckets"]) == set(resources.BUCKET_SUFFIXES)
    data = module.resource("google_storage_bucket", "data")
    assert data["for_each"] == "${local.buckets}"
    assert data["name"] == resources.bucket_name("${var.project_id}", "${each.key}")
    ages = [rule["condition"][0].get("age") for rule in data["lifecycle_rule"]]
    assert "${each.value.retention_days}" in ages
    # Besides the data buckets only the deploy's own function sources bucket exists.
    assert set(module.resources["google_storage_bucket"]) == {"data", "function_sources"}


# --- Secret Manager ----------------------------------------------------------------------------


def _secret_patterns() -> set[str]:
    return {
        getattr(resources, name)(SENTINEL)
        for name in dir(resources)
        if name.endswith("_secret_id") and callable(getattr(resources, name))
    }


def test_platform_secrets_without_values(local: dict[str, Any], module: tf.Config) -> None:
    assert set(local["platform_secrets"]) == set(resources.PLATFORM_SECRETS)
    assert set(module.resources["google_secret_manager_secret"]) == {"platform"}
    for folder in (tf.MODULE, *tf.ENVIRONMENTS.iterdir()):
        config = tf.load(folder)
        assert "google_secret_manager_secret_version" not in config.resources, "a value in state"
        assert "google_secret_manager_secret_version" not in config.data, "a value in state"


def test_runtime_secrets_are_granted_by_their_name_prefix(local: dict[str, Any]) -> None:
    declared = {secret["pattern"] for secret in local["runtime_secrets"].values()}
    assert declared == _secret_patterns()
    for pattern in declared:
        assert pattern.index(SENTINEL) > 0, f"{pattern}: a prefix condition needs a fixed prefix"
    conditions = tf.module().locals["runtime_secret_conditions"]
    assert 'secrets/${split("{id}", secret.pattern)[0]}' in conditions


# --- Firestore ---------------------------------------------------------------------------------


def _code_indexes() -> list[FirestoreIndex]:
    indexes: list[FirestoreIndex] = []
    for info in pkgutil.iter_modules(shared.adapters.__path__):
        adapter = importlib.import_module(f"shared.adapters.{info.name}")
        indexes.extend(getattr(adapter, "FIRESTORE_INDEXES", ()))
    return indexes


def test_firestore_composite_indexes(local: dict[str, Any], module: tf.Config) -> None:
    declared = sorted(
        (index["collection"], index["query_scope"], tuple(map(tuple, index["fields"])))
        for index in local["firestore_indexes"]
    )
    code = sorted((i.collection, i.query_scope, i.fields) for i in _code_indexes())
    assert declared == code
    assert {collection for collection, _, _ in code} <= set(resources.COLLECTIONS)
    index = module.resource("google_firestore_index", "composite")
    assert index["query_scope"] == "${each.value.query_scope}"
    for_each, content = tf.dynamic_content(index, "fields")
    assert for_each == "${each.value.fields}"
    assert content == {"field_path": "${fields.value[0]}", "order": "${fields.value[1]}"}


# --- Environment variables ---------------------------------------------------------------------


def _setting_names() -> dict[str, tuple[str, ...]]:
    names: dict[str, tuple[str, ...]] = {}
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names[name] = tuple(str(choice) for choice in alias.choices)
        elif isinstance(alias, str):
            names[name] = (alias,)
        else:
            names[name] = (f"SWITCHYARD_{name.upper()}",)
    return names


def test_environment_variables(local: dict[str, Any]) -> None:
    env = set(local["runtime_env"])
    by_variable = {
        variable: field for field, names in _setting_names().items() for variable in names
    }
    assert env <= set(by_variable), f"set but read by no setting: {env - set(by_variable)}"
    set_fields = {by_variable[variable] for variable in env}
    assert set(Settings.model_fields) - set_fields == set(NOT_SET_ON_GOOGLE_CLOUD)
    # local.runtime_env is the only environment of every service and function (next test).


def test_every_service_and_function_gets_the_settings(module: tf.Config) -> None:
    service = module.resource("google_cloud_run_v2_service", "service")
    container = tf.block(tf.block(service, "template"), "containers")
    for_each, content = tf.dynamic_content(container, "env")
    assert for_each == "${local.runtime_env}"
    assert content == {"name": "${env.key}", "value": "${env.value}"}
    function = module.resource("google_cloudfunctions2_function", "stage")
    assert tf.block(function, "service_config")["environment_variables"] == "${local.runtime_env}"


def test_smoke_test_gets_the_api_url() -> None:
    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    smoke = [step for step in build["steps"] if step.get("id") == "smoke-test"]
    assert smoke, "cloudbuild.yaml has no smoke-test step"
    assert "SWITCHYARD_API_URL" in "\n".join(tf.all_strings(smoke[0]))


# --- Services, scheduler and environments ------------------------------------------------------


def test_executor_is_private_and_invoked_with_oidc(
    local: dict[str, Any], module: tf.Config
) -> None:
    assert local["services"]["executor"]["public"] is False
    assert local["services"]["api"]["public"] is True
    invoker = module.resource("google_cloud_run_v2_service_iam_member", "executor_invoker")
    assert invoker["member"] == "serviceAccount:${google_service_account.tasks_invoker.email}"
    assert local["runtime_env"]["SWITCHYARD_TASKS_INVOKER_EMAIL"] == (
        "${google_service_account.tasks_invoker.email}"
    )
    container = tf.block(
        tf.block(module.resource("google_cloud_run_v2_service", "service"), "template"),
        "containers",
    )
    for probe in ("startup_probe", "liveness_probe"):
        assert tf.block(tf.block(container, probe), "http_get")["path"] == "/healthz"


def test_scheduler_jobs_publish_the_scheduled_topic(local: dict[str, Any]) -> None:
    assert local["scheduler_topic"] == resources.RUN_SCHEDULED
    assert resources.scheduler_job_id(SENTINEL).startswith("agent-")


def test_the_sweep_job_requests_a_sweep_every_minute(
    local: dict[str, Any], module: tf.Config
) -> None:
    job = sweep_job()  # what the local provisioner creates in the Scheduler emulator
    assert local["sweep_job"] == {
        "name": job.job_id,
        "schedule": job.schedule,
        "time_zone": job.time_zone,
        "topic": job.topic,
        "data": job.data,
    }
    assert (job.job_id, job.schedule, job.time_zone, job.topic) == (
        resources.SWEEP_JOB_ID, "* * * * *", "Etc/UTC", resources.SWEEP_REQUESTED
    )  # fmt: skip
    assert SweepTick.model_validate_json(job.data) == SweepTick()
    assert resources.SUBSCRIPTIONS_BY_CONSUMER["sweeper"].topic == resources.SWEEP_REQUESTED
    declared = module.resource("google_cloud_scheduler_job", "sweep")
    for argument in ("name", "schedule", "time_zone"):
        assert declared[argument] == "${local.sweep_job." + argument + "}"
    target = tf.block(declared, "pubsub_target")
    assert target["topic_name"] == "${google_pubsub_topic.pipeline[local.sweep_job.topic].id}"
    assert target["data"] == "${base64encode(local.sweep_job.data)}"
    publisher = module.resource("google_pubsub_topic_iam_member", "sweep_publisher")
    assert publisher["topic"] == "${google_pubsub_topic.pipeline[local.sweep_job.topic].name}"
    assert publisher["member"] == (
        "serviceAccount:${google_project_service_identity.cloudscheduler.email}"
    )
    # The cron agents' jobs are made at run time; this is the only job Terraform declares.
    assert set(module.resources["google_cloud_scheduler_job"]) == {"sweep"}


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_environment_roots_call_the_module_with_its_variables(name: str) -> None:
    root = tf.environments()[name]
    (call,) = root.modules.values()
    assert call["source"] == "../../modules/switchyard"
    variables = tf.module().variables
    arguments = set(call) - {"source"}
    assert arguments <= set(variables), f"unknown arguments: {arguments - set(variables)}"
    required = {variable for variable, body in variables.items() if "default" not in body}
    assert required <= arguments, f"missing arguments: {required - arguments}"
    for value in call.values():
        match = re.fullmatch(r"\$\{var\.(\w+)\}", str(value))
        if match:
            assert match.group(1) in root.variables, f"{name}: var.{match.group(1)} undeclared"
    assert set(root.outputs) <= set(tf.module().outputs)

"""The repository's own conventions (STYLE.md), checked so that they stay true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from shared import resources

ROOT = Path(__file__).resolve().parents[2]
APPLICATION_DIRS = ("shared", "functions", "cloudrun")
KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SNAKE_PLURAL = re.compile(r"^[a-z][a-z_]*s$")


def _python_files(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def _reads_environ(tree: ast.AST) -> bool:
    names = {"environ", "getenv"}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in names
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in names for alias in node.names)
        ):
            return True
    return False


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in _python_files(*APPLICATION_DIRS)
        if _reads_environ(ast.parse(path.read_text()))
    ]
    assert readers == [], "read configuration through shared.settings.Settings instead"


def test_topics_are_kebab_case_past_tense_facts() -> None:
    for topic in resources.PIPELINE_TOPICS:
        assert KEBAB.match(topic), topic
        assert topic.endswith("ed"), f"{topic} is not a past-tense fact"


def test_subscriptions_and_dead_letters_follow_the_naming_scheme() -> None:
    for sub in resources.SUBSCRIPTIONS:
        assert sub.topic in resources.PIPELINE_TOPICS
        assert sub.name == f"{sub.topic}--{sub.consumer}"
        assert sub.dead_letter_topic == f"{sub.name}-dlq"
        assert 5 <= sub.max_delivery_attempts <= 100, "Pub/Sub allows 5 to 100 attempts"
        assert 0 <= sub.min_backoff_s <= sub.max_backoff_s <= 600
    consumers = [sub.name for sub in resources.SUBSCRIPTIONS]
    assert len(consumers) == len(set(consumers))


def test_queues_are_named_for_their_work_and_unique() -> None:
    names = [queue.name for queue in resources.QUEUES]
    assert len(names) == len(set(names))
    for queue in resources.QUEUES:
        assert KEBAB.match(queue.name), queue.name
        assert queue.max_dispatches_per_second > 0
        assert queue.max_concurrent_dispatches > 0
    assert resources.tool_queue_name("http_fetch") == "tool-http-fetch"


def test_collections_are_plural_snake_case() -> None:
    assert len(set(resources.COLLECTIONS)) == len(resources.COLLECTIONS)
    for name in resources.COLLECTIONS:
        assert SNAKE_PLURAL.match(name), name

"""A local Cloud Scheduler: ``google.cloud.scheduler.v1`` over gRPC, firing jobs on their cron.

Run it with ``python -m emulators.scheduler --port N`` and point Switchyard at it with
``SWITCHYARD_SCHEDULER_EMULATOR_HOST=127.0.0.1:N``. Jobs live in memory (:mod:`.jobs`), fire on
their unix-cron schedule in their time zone (:mod:`.cron`, :mod:`.runner`) and reach Pub/Sub
(through ``PUBSUB_EMULATOR_HOST``) or HTTP targets (:mod:`.targets`).
"""

#!/usr/bin/env bash
# Give the Pub/Sub subscription that an Eventarc trigger created the dead-letter and retry policy
# Switchyard declares for it (run by terraform_data.eventarc_subscription_policy, functions.tf).
# Google's documented way: https://cloud.google.com/eventarc/docs/retry-events
#
# Environment: TRIGGER (projects/P/locations/R/triggers/T), DEAD_LETTER_TOPIC (projects/P/topics/X),
# MAX_DELIVERY_ATTEMPTS, MIN_BACKOFF_S, MAX_BACKOFF_S, ACK_DEADLINE_S, PUBSUB_AGENT (the Pub/Sub
# service agent's email). Needs an authenticated gcloud; idempotent.
set -euo pipefail

for name in TRIGGER DEAD_LETTER_TOPIC MAX_DELIVERY_ATTEMPTS MIN_BACKOFF_S MAX_BACKOFF_S ACK_DEADLINE_S PUBSUB_AGENT; do
  if [ -z "${!name:-}" ]; then
    echo "eventarc_subscription_policy.sh: $name is not set" >&2
    exit 2
  fi
done

subscription=$(gcloud eventarc triggers describe "$TRIGGER" --format='value(transport.pubsub.subscription)')
if [ -z "$subscription" ]; then
  echo "eventarc_subscription_policy.sh: trigger $TRIGGER has no Pub/Sub subscription" >&2
  exit 1
fi

gcloud pubsub subscriptions update "$subscription" \
  --dead-letter-topic="$DEAD_LETTER_TOPIC" \
  --max-delivery-attempts="$MAX_DELIVERY_ATTEMPTS" \
  --min-retry-delay="${MIN_BACKOFF_S}s" \
  --max-retry-delay="${MAX_BACKOFF_S}s" \
  --ack-deadline="$ACK_DEADLINE_S" \
  --quiet

# Dead-lettering acknowledges the message on the source subscription as the Pub/Sub service agent.
gcloud pubsub subscriptions add-iam-policy-binding "$subscription" \
  --member="serviceAccount:$PUBSUB_AGENT" \
  --role="roles/pubsub.subscriber" \
  --quiet >/dev/null

echo "$subscription: dead letters to $DEAD_LETTER_TOPIC after $MAX_DELIVERY_ATTEMPTS attempts, retry ${MIN_BACKOFF_S}s-${MAX_BACKOFF_S}s, ack deadline ${ACK_DEADLINE_S}s"

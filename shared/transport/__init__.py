"""Transport mapping shared by the edges: Pub/Sub envelopes and Cloud Tasks requests in, the
error tree out as ack / retry / drop. Edges call these; these call the pipeline."""

#!/bin/sh
# The compose `kafka-topics` job: create every topic of deploy/compose/topics.txt (generated
# by deploy/k8s/gen_topics.py: the event topics and one dead-letter topic per consumer group)
# unless it exists. Runs in the apache/kafka image, four kafka-topics.sh JVMs at a time; the
# job fails if any creation fails, and the services wait for it to succeed.
set -eu
BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:19092}"
TOPICS_FILE="${TOPICS_FILE:-/topics.txt}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"
export KAFKA_HEAP_OPTS="-Xmx128m"
failed=0
batch=""
count=0

finish_batch() {
  for pid in $batch; do
    wait "$pid" || failed=1
  done
  batch=""
  count=0
}

while read -r name partitions retention; do
  case "$name" in '' | '#'*) continue ;; esac
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor 1 \
    --config "retention.ms=$retention" --config cleanup.policy=delete >/dev/null &
  batch="$batch $!"
  count=$((count + 1))
  if [ "$count" -ge 4 ]; then
    finish_batch
  fi
done <"$TOPICS_FILE"
finish_batch

if [ "$failed" -ne 0 ]; then
  echo "kafka-topics: some topics could not be created" >&2
  exit 1
fi
"$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --list

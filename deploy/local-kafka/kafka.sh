#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for development, tests and the demo.
# The broker jars come from Maven Central through Maven into a cache outside the repository;
# nothing here needs Docker. Usage:
#   kafka.sh start   [--port 9092] [--data DIR] [--sasl]   format storage if new, start, wait until it answers
#   kafka.sh stop    [--port 9092] [--data DIR]   stop the broker started there, by its PID
#   kafka.sh status  [--port 9092] [--data DIR]
#   kafka.sh fetch                                only resolve the jars into the cache
# --sasl: the client port is SASL_PLAINTEXT (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN) for one user,
# KAFKA_SASL_USERNAME (default newsstreams) with KAFKA_SASL_PASSWORD (default: a random one kept in
# DIR/sasl-password, mode 600). SCRAM credentials are written when storage is formatted, so a data
# folder keeps the mode and user it was first started with. The controller port stays PLAINTEXT.
# Environment: KAFKA_VERSION (default 4.0.1), NEWSSTREAMS_CACHE (default ~/.cache/newsstreams),
# KAFKA_HEAP_OPTS (default -Xms256m -Xmx768m), KAFKA_START_TIMEOUT seconds (default 90),
# KAFKA_MESSAGE_MAX_BYTES (default 67108864: larger than any article the worker accepts, so an
# oversized article reaches the worker and is dead-lettered there instead of failing at the producer).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${KAFKA_VERSION:-4.0.1}"
cache="${NEWSSTREAMS_CACHE:-$HOME/.cache/newsstreams}"
jars="$cache/kafka-$version/libs"
port=9092
data=""
sasl=0
cmd="${1:-}"
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --sasl) sasl=1; shift ;;
    *) echo "kafka.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# The controller listens on the port next to the client port.
controller_port=$((port + 1))
data="${data:-$cache/run/kafka-$port}"
pidfile="$data/kafka.pid"
message_max_bytes="${KAFKA_MESSAGE_MAX_BYTES:-67108864}"
sasl_user="${KAFKA_SASL_USERNAME:-newsstreams}"

fetch() {
  if [ -f "$jars/.complete" ]; then return 0; fi
  echo "kafka.sh: fetching Apache Kafka $version jars from Maven Central into $jars" >&2
  mkdir -p "$jars"
  mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" \
    dependency:copy-dependencies -DoutputDirectory="$jars" -DincludeScope=runtime >&2
  touch "$jars/.complete"
}

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

java_cmd() {
  # shellcheck disable=SC2086
  java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$data" \
    -cp "$jars/*" "$@"
}

# JAAS values are double-quoted Java strings: a password may hold anything but a quote or backslash.
sasl_password() {
  if [ -n "${KAFKA_SASL_PASSWORD:-}" ]; then printf '%s' "$KAFKA_SASL_PASSWORD"; return; fi
  if [ ! -s "$data/sasl-password" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$data/sasl-password")
  fi
  cat "$data/sasl-password"
}

write_config() {
  local listener=PLAINTEXT
  [ "$sasl" = 1 ] && listener=SASL_PLAINTEXT
  (umask 077; cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listener://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$listener://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=$listener
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
log.dirs=$data/logs
num.partitions=4
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
message.max.bytes=$message_max_bytes
replica.fetch.max.bytes=$message_max_bytes
PROPS
  )
  if [ "$sasl" = 1 ]; then
    local password; password="$(sasl_password)"
    # PLAIN checks the user_<name> entries here; SCRAM checks the credentials stored at format time.
    # The broker's own inter-broker client logs in with PLAIN as the same user.
    cat >> "$data/server.properties" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$sasl_user" password="$password" user_$sasl_user="$password";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
PROPS
  fi
}

start() {
  command -v java >/dev/null || { echo "kafka.sh: java (17+) is required" >&2; exit 1; }
  if running; then echo "kafka.sh: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))" >&2; return 0; fi
  fetch
  mkdir -p "$data"
  write_config
  if [ ! -f "$data/logs/meta.properties" ]; then
    cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid)"
    local scram=()
    if [ "$sasl" = 1 ]; then
      local password; password="$(sasl_password)"
      scram=(--add-scram "SCRAM-SHA-256=[name=$sasl_user,password=$password]"
             --add-scram "SCRAM-SHA-512=[name=$sasl_user,password=$password]")
    fi
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" "${scram[@]}" >/dev/null
  fi
  : > "$data/server.log"
  nohup bash -c 'exec "$@"' _ java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$data" \
    -cp "$jars/*" kafka.Kafka "$data/server.properties" > "$data/console.log" 2>&1 &
  echo $! > "$pidfile"
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  # Ready means the broker reports itself started and its client port accepts connections.
  until grep -q "Kafka Server started" "$data/server.log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! running; then
      echo "kafka.sh: broker exited during start; last lines of $data/console.log and server.log:" >&2
      tail -n 20 "$data/console.log" "$data/server.log" >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "kafka.sh: broker did not start in time" >&2; stop; exit 1; fi
    sleep 0.5
  done
  local mode=PLAINTEXT
  [ "$sasl" = 1 ] && mode="SASL_PLAINTEXT (SCRAM-SHA-256/512, PLAIN) user $sasl_user"
  echo "kafka.sh: Apache Kafka $version ready on 127.0.0.1:$port, $mode (pid $(cat "$pidfile"), data $data)" >&2
}

stop() {
  if ! running; then rm -f "$pidfile"; echo "kafka.sh: not running on port $port" >&2; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$pidfile"
  echo "kafka.sh: stopped broker on port $port" >&2
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running pid $(cat "$pidfile") port $port"; else echo "stopped"; exit 1; fi ;;
  fetch) fetch ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for development, tests and the demo.
# The broker jars come from Maven Central through Maven into a cache outside the repository;
# nothing here needs Docker. Usage:
#   kafka.sh start   [--port 9092] [--data DIR] [--sasl] [--tls]   format storage if new, start, wait until it answers
#   kafka.sh stop    [--port 9092] [--data DIR]   stop the broker started there, by its PID
#   kafka.sh status  [--port 9092] [--data DIR]
#   kafka.sh fetch                                only resolve the jars into the cache
# --sasl: the client port is SASL_PLAINTEXT (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN) for one user,
# KAFKA_SASL_USERNAME (default newsstreams) with KAFKA_SASL_PASSWORD (default: a random one kept in
# DIR/sasl-password, mode 600). SCRAM credentials are written when storage is formatted, so a data
# folder keeps the mode and user it was first started with. The controller port stays PLAINTEXT.
# --tls: two more listeners, SSL on port + 2 and SASL_SSL (the same SASL user and mechanisms) on
# port + 3, with a broker certificate for 127.0.0.1 and localhost signed by a self-signed CA; both are
# made with Java's keytool the first time and kept in DIR/tls (clients trust DIR/tls/ca.pem).
# The client port stays as it was (PLAINTEXT, or SASL_PLAINTEXT with --sasl).
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
tls=0
cmd="${1:-}"
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --sasl) sasl=1; shift ;;
    --tls) tls=1; shift ;;
    *) echo "kafka.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# The controller listens on the port next to the client port.
controller_port=$((port + 1))
ssl_port=$((port + 2))
sasl_ssl_port=$((port + 3))
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

# A CA and a broker key pair in PKCS12 keystores, the broker's certificate signed by the CA for the names
# clients dial (Python checks the host name against the subject alternative names). Made once per folder.
tls_material() {
  local dir="$data/tls"
  if [ -s "$dir/broker.p12" ] && [ -s "$dir/ca.pem" ]; then return 0; fi
  command -v keytool >/dev/null || { echo "kafka.sh: --tls needs Java's keytool" >&2; exit 1; }
  rm -rf "$dir"; mkdir -p "$dir"; chmod 700 "$dir"
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/store-password")
  local pw; pw="$(cat "$dir/store-password")"
  local names="SAN=ip:127.0.0.1,dns:localhost"
  local kt=(keytool -storetype PKCS12 -storepass "$pw" -keypass "$pw" -validity 825 -keyalg RSA -keysize 2048)
  "${kt[@]}" -genkeypair -alias ca -dname "CN=newsstreams local Kafka CA" \
    -ext bc:c=ca:true -ext KU:c=keyCertSign,cRLSign -keystore "$dir/ca.p12" 2>/dev/null
  keytool -exportcert -rfc -alias ca -keystore "$dir/ca.p12" -storepass "$pw" -file "$dir/ca.pem" 2>/dev/null
  "${kt[@]}" -genkeypair -alias broker -dname "CN=localhost" -ext "$names" -keystore "$dir/broker.p12" 2>/dev/null
  keytool -certreq -alias broker -keystore "$dir/broker.p12" -storepass "$pw" -file "$dir/broker.csr" 2>/dev/null
  keytool -gencert -rfc -alias ca -keystore "$dir/ca.p12" -storepass "$pw" -validity 825 \
    -infile "$dir/broker.csr" -outfile "$dir/broker.pem" -ext "$names" \
    -ext KU:c=digitalSignature,keyEncipherment -ext EKU=serverAuth 2>/dev/null
  # The chain goes into the broker's keystore CA first, so the reply to the request is accepted.
  keytool -importcert -noprompt -alias ca -keystore "$dir/broker.p12" -storepass "$pw" -file "$dir/ca.pem" 2>/dev/null
  keytool -importcert -alias broker -keystore "$dir/broker.p12" -storepass "$pw" -file "$dir/broker.pem" 2>/dev/null
  rm -f "$dir/broker.csr"
}

write_config() {
  local listener=PLAINTEXT
  [ "$sasl" = 1 ] && listener=SASL_PLAINTEXT
  local listeners="$listener://127.0.0.1:$port"
  [ "$tls" = 1 ] && listeners="$listeners,SSL://127.0.0.1:$ssl_port,SASL_SSL://127.0.0.1:$sasl_ssl_port"
  (umask 077; cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listeners,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=$listener
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL
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
  local sasl_listeners=()
  [ "$sasl" = 1 ] && sasl_listeners+=(sasl_plaintext)
  [ "$tls" = 1 ] && sasl_listeners+=(sasl_ssl)
  if [ ${#sasl_listeners[@]} -gt 0 ]; then
    local password; password="$(sasl_password)"
    # PLAIN checks the user_<name> entries here; SCRAM checks the credentials stored at format time.
    # The broker's own inter-broker client logs in with PLAIN as the same user.
    cat >> "$data/server.properties" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
PROPS
    local name
    for name in "${sasl_listeners[@]}"; do
      cat >> "$data/server.properties" <<PROPS
listener.name.$name.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$sasl_user" password="$password" user_$sasl_user="$password";
listener.name.$name.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.$name.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
PROPS
    done
  fi
  if [ "$tls" = 1 ]; then
    local pw; pw="$(cat "$data/tls/store-password")"
    cat >> "$data/server.properties" <<PROPS
ssl.keystore.type=PKCS12
ssl.keystore.location=$data/tls/broker.p12
ssl.keystore.password=$pw
ssl.key.password=$pw
ssl.client.auth=none
PROPS
  fi
}

start() {
  command -v java >/dev/null || { echo "kafka.sh: java (17+) is required" >&2; exit 1; }
  if running; then echo "kafka.sh: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))" >&2; return 0; fi
  fetch
  mkdir -p "$data"
  [ "$tls" = 1 ] && tls_material
  write_config
  if [ ! -f "$data/logs/meta.properties" ]; then
    cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid)"
    local scram=()
    if [ "$sasl" = 1 ] || [ "$tls" = 1 ]; then
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
  [ "$tls" = 1 ] && mode="$mode, SSL on $ssl_port, SASL_SSL (SCRAM-SHA-256/512, PLAIN) user $sasl_user on $sasl_ssl_port, CA $data/tls/ca.pem"
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
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

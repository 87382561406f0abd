"""The deployment files agree with the code: settings names, topics, ports, image and autoscaling.

Nothing here needs Docker, a cluster or the network: the files are parsed with PyYAML, the overlay is
rendered by a small kustomize subset below, and core kinds are validated against the Kubernetes
schemas that kubernetes-validate ships.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.events import flow
from streams.exposure import ExposureRefused, check_bind, token_problem
from streams.kafka import admin
from streams.settings import Settings
from streams.tools.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "example"
# The Secret the operator creates (not a resource of the base): its shape, with placeholders.
SECRET_EXAMPLE = BASE / "secret.example.yaml"
PROJECT_IMAGE = "newsstreams"
# The oldest Kubernetes minor the manifests are meant for (policy/v1 PDBs, seccompProfile fields).
KUBERNETES_VERSION = "1.30"
CORE_KINDS = {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget"}
ENV_NAME = re.compile(r"\bNEWSSTREAMS_[A-Z0-9_]+\b")
DEFAULTS = Settings()

Doc = dict[str, Any]


# --- loading ---------------------------------------------------------------------------------------


def load_docs(path: Path) -> list[Doc]:
    """Every non-empty YAML document of a file (a comment-only preamble yields None)."""
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def kustomization(folder: Path) -> Doc:
    return load_docs(folder / "kustomization.yaml")[0]


def render_base() -> list[Doc]:
    """The base's resources with its `images` applied (all the base uses of kustomize)."""
    kust = kustomization(BASE)
    docs = [d for name in kust["resources"] for d in load_docs(BASE / name)]
    return _set_images(docs, kust.get("images", []))


def render_overlay() -> list[Doc]:
    """The example overlay over the base: namespace, images and JSON 6902 `replace` patches.

    Only the kustomize features the overlay uses are implemented; anything else fails loudly, so this
    can never pass by ignoring part of the overlay.
    """
    kust = kustomization(OVERLAY)
    known = {"apiVersion", "kind", "namespace", "resources", "images", "patches"}
    assert set(kust) <= known, f"overlay uses kustomize fields this test cannot render: {set(kust) - known}"
    assert kust["resources"] == ["../../base"]
    docs = copy.deepcopy(render_base())
    for patch in kust.get("patches", []):
        target = patch["target"]
        matches = [d for d in docs if d["kind"] == target["kind"] and d["metadata"]["name"] == target["name"]]
        assert len(matches) == 1, f"patch target {target} matches {len(matches)} resources"
        for op in yaml.safe_load(patch["patch"]):
            assert op["op"] == "replace", f"unsupported patch op {op['op']}"
            _replace(matches[0], op["path"], op["value"])
    for doc in docs:
        doc["metadata"]["namespace"] = kust["namespace"]
    return _set_images(docs, kust.get("images", []))


def _replace(doc: Any, pointer: str, value: Any) -> None:
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    for part in parents:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    key: Any = int(last) if isinstance(doc, list) else last
    # `replace` requires the target to exist: a patch of a renamed field must not pass silently.
    assert isinstance(doc, list) or key in doc, f"{pointer} does not exist"
    doc[key] = value


def _set_images(docs: list[Doc], images: list[Doc]) -> list[Doc]:
    for container in (c for d in docs for c in containers(d)):
        for image in images:
            if container["image"].split(":")[0] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    return docs


RENDERINGS = {"base": render_base, "overlay": render_overlay}


@pytest.fixture(scope="module", params=sorted(RENDERINGS))
def manifests(request: pytest.FixtureRequest) -> list[Doc]:
    """The rendered resources of the base and of the example overlay (each test runs on both)."""
    docs: list[Doc] = RENDERINGS[request.param]()
    return docs


@pytest.fixture(scope="module")
def compose() -> Doc:
    docs = load_docs(COMPOSE)
    assert len(docs) == 1
    return docs[0]


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def containers(doc: Doc) -> Iterator[Doc]:
    if doc.get("kind") == "Deployment":
        yield from doc["spec"]["template"]["spec"]["containers"]


def container(docs: list[Doc], deployment: str) -> Doc:
    found = list(containers(one(docs, "Deployment", deployment)))
    assert len(found) == 1
    return found[0]


def example_secret() -> Doc:
    (secret,) = load_docs(SECRET_EXAMPLE)
    return secret


def config_env(docs: list[Doc]) -> dict[str, str]:
    """The environment every newsstreams container gets: the ConfigMap plus the operator's Secret (the
    example's keys)."""
    data = dict(one(docs, "ConfigMap", "newsstreams-config")["data"])
    data.update(example_secret()["stringData"])
    return data


def settings_of(docs: list[Doc]) -> Settings:
    return Settings.from_env(config_env(docs))


def compose_services(compose: Doc, command: str) -> list[Doc]:
    return [s for s in compose["services"].values() if s.get("command", [None])[0] == command]


# --- settings names --------------------------------------------------------------------------------

DEPLOY_FILES = sorted([COMPOSE, DOCKERFILE, *K8S.rglob("*.yaml")], key=lambda p: str(p.relative_to(ROOT)))


@pytest.mark.parametrize("path", DEPLOY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_newsstreams_name_in_deploy_files_is_a_setting(path: Path) -> None:
    # Text, not just env keys: a renamed setting must also break comments, patches and references.
    names = set(ENV_NAME.findall(path.read_text(encoding="utf-8")))
    unknown = names - set(DEFAULTS.env_names())
    assert not unknown, f"{path.relative_to(ROOT)} names settings that do not exist: {sorted(unknown)}"


def test_deploy_files_name_settings_at_all() -> None:
    # The test above must have something to check: the stack is configured through settings.
    text = "\n".join(p.read_text(encoding="utf-8") for p in DEPLOY_FILES)
    assert {"NEWSSTREAMS_BROKER", "NEWSSTREAMS_SASL_PASSWORD", "NEWSSTREAMS_DATA_DIR"} <= set(
        ENV_NAME.findall(text)
    )


def test_compose_environment_builds_settings(compose: Doc) -> None:
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        if name == "kafka":
            assert not any(k.startswith("NEWSSTREAMS_") for k in env)
            continue
        assert set(env) <= set(DEFAULTS.env_names()), name
        settings = Settings.from_env({k: str(v) for k, v in env.items()})
        # Containers reach Kafka through the internal listener, never through the host's localhost.
        assert settings.bootstrap_servers == "kafka:19092", name


def test_configmap_and_secret_build_settings(manifests: list[Doc]) -> None:
    env = config_env(manifests)
    assert set(env) <= set(DEFAULTS.env_names())
    settings = Settings.from_env(env)
    assert settings.web_host == settings.dashboard_host == "0.0.0.0"
    assert settings.security_protocol == "SASL_SSL"
    assert settings.sasl_username and settings.sasl_password


def test_the_manifests_ship_no_secret_and_the_example_only_placeholders(manifests: list[Doc]) -> None:
    # A Secret in the base would be applied as is: its placeholders would become the cluster's values.
    assert of_kind(manifests, "Secret") == []
    secret = example_secret()
    assert secret["metadata"]["name"] == "newsstreams-secrets"
    assert set(secret["stringData"]) == {
        "NEWSSTREAMS_SASL_PASSWORD",
        "NEWSSTREAMS_WEB_TOKEN",
        "NEWSSTREAMS_DASHBOARD_TOKEN",
    }
    assert all(v.startswith("CHANGE-ME") for v in secret["stringData"].values())
    import kubernetes_validate

    kubernetes_validate.validate(secret, KUBERNETES_VERSION, strict=True)


def test_pods_refuse_to_serve_with_the_example_tokens(manifests: list[Doc]) -> None:
    # The pods listen beyond loopback: copying the example unchanged must stop them, not expose them.
    settings = settings_of(manifests)
    assert token_problem(settings.web_token) and token_problem(settings.dashboard_token)
    with pytest.raises(ExposureRefused, match="NEWSSTREAMS_WEB_TOKEN"):
        check_bind("worker", settings.web_host, settings.web_token, "NEWSSTREAMS_WEB_TOKEN")
    with pytest.raises(ExposureRefused, match="NEWSSTREAMS_DASHBOARD_TOKEN"):
        check_bind(
            "dashboard", settings.dashboard_host, settings.dashboard_token, "NEWSSTREAMS_DASHBOARD_TOKEN"
        )


def test_compose_requires_exported_tokens(compose: Doc) -> None:
    # `${NAME:?message}`: compose refuses to run until the operator exports the token.
    for name in ("NEWSSTREAMS_WEB_TOKEN", "NEWSSTREAMS_DASHBOARD_TOKEN"):
        for service in [*compose_services(compose, "worker"), *compose_services(compose, "dashboard")]:
            assert re.fullmatch(r"\$\{" + name + r":\?[^}]*\}", service["environment"][name]), name


def test_containers_take_settings_from_the_configmap_and_secret(manifests: list[Doc]) -> None:
    for deployment in of_kind(manifests, "Deployment"):
        for c in containers(deployment):
            refs = {(next(iter(r)), next(iter(r.values()))["name"]) for r in c["envFrom"]}
            assert refs == {("configMapRef", "newsstreams-config"), ("secretRef", "newsstreams-secrets")}
            assert {e["name"] for e in c.get("env", [])} <= set(DEFAULTS.env_names())


# --- topics ----------------------------------------------------------------------------------------


def test_kafka_topics_are_exactly_the_flow(manifests: list[Doc]) -> None:
    settings = settings_of(manifests)
    topics = {t["spec"]["topicName"]: t for t in of_kind(manifests, "KafkaTopic")}
    assert len(topics) == len(of_kind(manifests, "KafkaTopic")), "a topic is declared twice"
    assert set(topics) == {settings.topic(spec.name) for spec in flow.FLOW}
    for spec in flow.FLOW:
        topic = topics[settings.topic(spec.name)]["spec"]
        config = {key: str(value) for key, value in topic["config"].items()}
        # Exactly the configuration `newsstreams topics apply` sets for the ConfigMap's settings on a topic
        # with these replicas, so both ways give the same topics (and nothing is set only here).
        assert config == admin.desired_config(spec, settings, replicas=topic["replicas"]), spec.name


def test_kafka_topic_configs_are_the_reviewed_ones() -> None:
    # Written from the topic review (README: Topics), not from the code: 3 replicas, 2 MB bodies.
    days = 24 * 3600 * 1000
    expected = {
        "news.articles.raw": ("delete", 30 * days),
        "news.articles.raw.by-source": ("delete", 30 * days),
        "news.articles.syndication": ("delete", 30 * days),
        "news.articles.gate": ("delete", 30 * days),
        "news.articles.kills": ("compact", -1),
        "news.articles.clean": ("compact", -1),
        "news.articles.enriched": ("compact", -1),
        "news.entities": ("delete", 7 * days),
        "news.quotes": ("delete", 7 * days),
        "news.topics": ("delete", 7 * days),
        "news.people.learned": ("compact", -1),
        "news.entities.trending": ("compact,delete", days),
        "news.deadletter": ("delete", 30 * days),
    }
    topics = {t["spec"]["topicName"]: t["spec"]["config"] for t in of_kind(render_base(), "KafkaTopic")}
    assert set(topics) == set(expected)
    for name, (policy, retention) in expected.items():
        assert topics[name] == {
            "cleanup.policy": policy,
            "retention.ms": retention,
            "max.message.bytes": 4 * 2_000_000 + 1024 * 1024,
            "min.insync.replicas": 2,
        }, name


def test_kafka_topics_match_the_partition_and_replication_settings(manifests: list[Doc]) -> None:
    settings = settings_of(manifests)
    for topic in of_kind(manifests, "KafkaTopic"):
        spec = topic["spec"]
        # Faust creates its tables' changelogs with `partitions`; they must match the source topics.
        assert spec["partitions"] == settings.partitions, topic["metadata"]["name"]
        assert spec["replicas"] == settings.replication, topic["metadata"]["name"]
        assert int(spec["config"]["min.insync.replicas"]) == min(2, spec["replicas"])
        assert int(spec["config"]["min.insync.replicas"]) < spec["replicas"], "one broker down blocks writes"


def test_base_topics_have_partitions_12_and_replicas_3() -> None:
    for topic in of_kind(render_base(), "KafkaTopic"):
        assert (topic["spec"]["partitions"], topic["spec"]["replicas"]) == (12, 3)


def test_kafka_topics_are_well_formed_strimzi_resources(manifests: list[Doc]) -> None:
    broker_host = settings_of(manifests).bootstrap_servers.split(":")[0]
    for topic in of_kind(manifests, "KafkaTopic"):
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2"
        name = topic["metadata"]["name"]
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name
        # The cluster label must name the cluster whose bootstrap service the settings point at.
        cluster = topic["metadata"]["labels"]["strimzi.io/cluster"]
        assert broker_host == f"{cluster}-kafka-bootstrap"
        assert set(topic["spec"]) == {"topicName", "partitions", "replicas", "config"}


# --- ports, probes, image --------------------------------------------------------------------------


def test_worker_port_and_probes_match_settings(manifests: list[Doc]) -> None:
    worker = container(manifests, "newsstreams-worker")
    assert worker["args"] == ["worker"]
    ports = {p["name"]: p["containerPort"] for p in worker["ports"]}
    assert ports == {"web": DEFAULTS.web_port} == {"web": settings_of(manifests).web_port}
    probes = {kind: worker[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"] == probes["startupProbe"] == {"path": "/health/live", "port": "web"}
    assert probes["readinessProbe"] == {"path": "/health/ready", "port": "web"}


def test_dashboard_port_and_service_match_settings(manifests: list[Doc]) -> None:
    dashboard = container(manifests, "newsstreams-dashboard")
    assert dashboard["args"] == ["dashboard"]
    ports = {p["name"]: p["containerPort"] for p in dashboard["ports"]}
    assert ports == {"http": DEFAULTS.dashboard_port} == {"http": settings_of(manifests).dashboard_port}
    for probe in ("livenessProbe", "readinessProbe"):
        assert dashboard[probe]["httpGet"] == {"path": "/health", "port": "http"}
    service = one(manifests, "Service", "newsstreams-dashboard")
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(8080, "http")]
    template = one(manifests, "Deployment", "newsstreams-dashboard")["spec"]["template"]
    assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    worker_labels = one(manifests, "Deployment", "newsstreams-worker")["spec"]["template"]["metadata"]
    assert not service["spec"]["selector"].items() <= worker_labels["labels"].items()


def test_compose_ports_and_healthchecks_match_settings(compose: Doc) -> None:
    workers = compose_services(compose, "worker")
    assert len(workers) == 2
    for worker in workers:
        assert [p.split(":")[-1] for p in worker["ports"]] == [str(DEFAULTS.web_port)]
        assert f"127.0.0.1:{DEFAULTS.web_port}/health/live" in " ".join(worker["healthcheck"]["test"])
    host_ports = [p.split(":")[0] for w in workers for p in w["ports"]]
    assert len(set(host_ports)) == len(host_ports), "two workers publish the same host port"
    (dashboard,) = compose_services(compose, "dashboard")
    assert dashboard["ports"] == [f"{DEFAULTS.dashboard_port}:{DEFAULTS.dashboard_port}"]
    assert f"127.0.0.1:{DEFAULTS.dashboard_port}/health" in " ".join(dashboard["healthcheck"]["test"])


def test_dockerfile_exposes_the_ports_and_checks_liveness() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    exposed = {int(p) for line in re.findall(r"^EXPOSE (.+)$", text, re.M) for p in line.split()}
    assert exposed == {DEFAULTS.web_port, DEFAULTS.dashboard_port}
    assert f"http://127.0.0.1:{DEFAULTS.web_port}/health/live" in text
    assert re.search(r'^ENTRYPOINT \["newsstreams"\]$', text, re.M)
    assert re.search(r'^CMD \["worker"\]$', text, re.M)
    # Inside a container the servers must listen on every interface, so it says how to give the tokens.
    assert "NEWSSTREAMS_WEB_HOST=0.0.0.0" in text and "NEWSSTREAMS_DASHBOARD_HOST=0.0.0.0" in text
    assert "-e NEWSSTREAMS_WEB_TOKEN=" in text and "-e NEWSSTREAMS_DASHBOARD_TOKEN=" in text


def _repository(image: str) -> str:
    return image.rsplit("/", 1)[-1].split(":")[0]


def test_compose_and_kubernetes_run_the_one_project_image(compose: Doc, manifests: list[Doc]) -> None:
    ours = {n: s for n, s in compose["services"].items() if n != "kafka"}
    assert compose["services"]["kafka"]["image"] == "apache/kafka:4.0.0"
    assert {_repository(s["image"]) for s in ours.values()} == {PROJECT_IMAGE}
    assert all(s["build"] == "." for s in ours.values())
    images = {c["image"] for d in manifests for c in containers(d)}
    assert len(images) == 1, f"the deployments run different images: {images}"
    (image,) = images
    assert _repository(image) == PROJECT_IMAGE
    assert re.fullmatch(r".+:\d+\.\d+\.\d+", image), f"{image} is not pinned to a version"


def test_every_command_is_a_newsstreams_subcommand(compose: Doc, manifests: list[Doc]) -> None:
    # ENTRYPOINT is `newsstreams`: each command/args list must parse with the real CLI.
    commands = [s["command"] for n, s in compose["services"].items() if n != "kafka"]
    commands += [c["args"] for d in manifests for c in containers(d)]
    parser = build_parser()
    for argv in commands:
        assert parser.parse_args(argv).command == argv[0]
    assert {argv[0] for argv in commands} == {"topics", "worker", "dashboard", "ingest"}


def test_compose_sample_feed_is_bundled_in_the_image(compose: Doc) -> None:
    (feed,) = compose_services(compose, "ingest")
    inputs = [a for a in feed["command"][1:] if not a.startswith("--")]
    assert inputs == ["/app/samples/feed.jsonl"]
    assert re.search(r"^COPY samples/ /app/samples/$", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert (ROOT / "samples" / "feed.jsonl").is_file()


# --- compose wiring --------------------------------------------------------------------------------


def test_compose_kafka_is_a_single_kraft_node(compose: Doc) -> None:
    env = {k: str(v) for k, v in compose["services"]["kafka"]["environment"].items()}
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    listeners = dict(reversed(item.split("://")) for item in env["KAFKA_LISTENERS"].split(","))
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners.values()) == set(protocols)
    node, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")
    assert node == env["KAFKA_NODE_ID"]
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert listeners[":" + voter.split(":")[1]] == controller
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert controller not in advertised and env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    # Containers use the advertised internal address; the host uses localhost on the published port.
    assert advertised[env["KAFKA_INTER_BROKER_LISTENER_NAME"]] == "kafka:19092"
    assert (
        advertised["PLAINTEXT"] == "localhost:9092" and "9092:9092" in compose["services"]["kafka"]["ports"]
    )
    replication = [k for k in env if k.endswith(("REPLICATION_FACTOR", "MIN_ISR"))]
    assert len(replication) >= 3 and all(env[k] == "1" for k in replication)
    check = " ".join(compose["services"]["kafka"]["healthcheck"]["test"])
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in check


def test_compose_start_order(compose: Doc) -> None:
    services = compose["services"]
    (topics,) = compose_services(compose, "topics")
    assert topics["command"] == ["topics", "apply"]
    assert topics["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert topics["restart"] == "no"
    topics_name = next(n for n, s in services.items() if s is topics)
    for service in [*compose_services(compose, "worker"), *compose_services(compose, "dashboard")]:
        assert service["depends_on"][topics_name] == {"condition": "service_completed_successfully"}
    (feed,) = compose_services(compose, "ingest")
    (waited,) = feed["depends_on"]
    assert services[waited]["command"] == ["worker"]
    assert feed["depends_on"][waited] == {"condition": "service_healthy"}


# --- workers: pod spec, disruption budget, autoscaling ---------------------------------------------


def _dockerfile_uid() -> int:
    match = re.search(r"^USER (\d+)(?::\d+)?$", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert match, "the Dockerfile must switch to a numeric non-root user"
    return int(match.group(1))


def test_worker_pod_is_hardened_and_sized(manifests: list[Doc]) -> None:
    deployment = one(manifests, "Deployment", "newsstreams-worker")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 60
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == _dockerfile_uid() != 0
    worker = container(manifests, "newsstreams-worker")
    assert worker["securityContext"]["readOnlyRootFilesystem"] is True
    assert worker["securityContext"]["allowPrivilegeEscalation"] is False
    assert worker["resources"] == {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1.5Gi"}}
    command = worker["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep" and 0 < int(command[1]) < pod["terminationGracePeriodSeconds"]


def test_writable_paths_are_empty_dirs(manifests: list[Doc]) -> None:
    # With a read-only root filesystem, the data dir and the CA file must come from mounted volumes.
    settings = settings_of(manifests)
    pod = one(manifests, "Deployment", "newsstreams-worker")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(manifests, "newsstreams-worker")["volumeMounts"]}
    assert "emptyDir" in volumes[mounts[settings.data_dir]]
    assert "emptyDir" in volumes[mounts["/tmp"]]
    ca_dir = str(Path(settings.ssl_cafile).parent)
    assert {"key": "ca.crt", "path": Path(settings.ssl_cafile).name} in volumes[mounts[ca_dir]]["secret"][
        "items"
    ]


def test_pdb_covers_exactly_the_workers(manifests: list[Doc]) -> None:
    (pdb,) = of_kind(manifests, "PodDisruptionBudget")
    selector = pdb["spec"]["selector"]["matchLabels"]
    worker = one(manifests, "Deployment", "newsstreams-worker")["spec"]
    assert selector == worker["selector"]["matchLabels"]
    assert selector.items() <= worker["template"]["metadata"]["labels"].items()
    dashboard = one(manifests, "Deployment", "newsstreams-dashboard")["spec"]["template"]["metadata"]
    assert not selector.items() <= dashboard["labels"].items()
    assert pdb["spec"]["maxUnavailable"] == 1


def test_keda_scales_the_workers_on_the_raw_topic_lag(manifests: list[Doc]) -> None:
    settings = settings_of(manifests)
    (scaled,) = of_kind(manifests, "ScaledObject")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    worker = one(manifests, "Deployment", "newsstreams-worker")
    assert spec["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert spec.get("scaleTargetRef", {}).get("kind", "Deployment") == "Deployment"
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    # The worker's consumer group is the Faust app id.
    assert meta["consumerGroup"] == settings.app_id
    assert meta["topic"] == settings.topic(flow.RAW.name)
    assert meta["bootstrapServers"] == settings.bootstrap_servers
    assert int(meta["lagThreshold"]) > 0
    raw_topic = next(t for t in of_kind(manifests, "KafkaTopic") if t["spec"]["topicName"] == meta["topic"])
    # Replicas beyond the partition count would get no partition and idle.
    assert spec["minReplicaCount"] <= worker["spec"]["replicas"] <= spec["maxReplicaCount"]
    assert spec["maxReplicaCount"] <= raw_topic["spec"]["partitions"]
    assert spec["maxReplicaCount"] == 12


def test_keda_authentication_reads_existing_keys(manifests: list[Doc]) -> None:
    (scaled,) = of_kind(manifests, "ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    auth = one(manifests, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    assert auth["apiVersion"] == "keda.sh/v1alpha1"
    refs = {r["parameter"]: r for r in auth["spec"]["secretTargetRef"] + auth["spec"]["configMapTargetRef"]}
    assert set(refs) == {"username", "password", "ca"}
    # The two that come from our own objects must name keys that exist there.
    assert refs["username"]["key"] in one(manifests, "ConfigMap", refs["username"]["name"])["data"]
    assert refs["password"]["name"] == example_secret()["metadata"]["name"]
    assert refs["password"]["key"] in example_secret()["stringData"]
    # KEDA's SASL mode (its own spelling) must be the workers' mechanism.
    keda_sasl = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512"}
    assert trigger["metadata"]["sasl"] == keda_sasl[settings_of(manifests).sasl_mechanism]


# --- the overlay -----------------------------------------------------------------------------------


def test_overlay_moves_every_name_of_the_environment() -> None:
    base, overlay = render_base(), render_overlay()
    base_settings, settings = settings_of(base), settings_of(overlay)
    assert settings.topic_prefix and settings.topic_prefix != base_settings.topic_prefix
    # A second environment on a shared cluster needs its own group and changelog topics.
    assert settings.app_id != base_settings.app_id
    assert {d["metadata"]["namespace"] for d in overlay} == {kustomization(OVERLAY)["namespace"]}
    assert all(
        t["spec"]["topicName"].startswith(settings.topic_prefix) for t in of_kind(overlay, "KafkaTopic")
    )


# --- schema validation -----------------------------------------------------------------------------


def test_core_kinds_validate_against_kubernetes_schemas(manifests: list[Doc]) -> None:
    import kubernetes_validate

    core = [d for d in manifests if d["kind"] in CORE_KINDS]
    assert {d["kind"] for d in core} == CORE_KINDS
    for doc in core:
        # strict: unknown fields (a typo in a probe, say) are errors too.
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_schema_validation_catches_a_broken_deployment() -> None:
    # The control for the test above: the validator really rejects what it should.
    import kubernetes_validate

    broken = copy.deepcopy(one(render_base(), "Deployment", "newsstreams-worker"))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {"path": "/"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    broken = copy.deepcopy(one(render_base(), "Deployment", "newsstreams-worker"))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_base_kustomization_lists_every_manifest() -> None:
    listed = set(kustomization(BASE)["resources"])
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml", SECRET_EXAMPLE.name}
    assert listed == on_disk


def test_compose_healthcheck_commands_are_valid_python(compose: Doc) -> None:
    # The healthchecks are `python -c` one-liners; a syntax error would only show as "unhealthy".
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test")
        if test and test[:3] == ["CMD", "python", "-c"]:
            compile(test[3], f"{name} healthcheck", "exec")
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    line = re.search(r'CMD \["python", "-c", "(.+)"\]', dockerfile)
    assert line
    compile(shlex.split(f'"{line.group(1)}"')[0], "Dockerfile healthcheck", "exec")

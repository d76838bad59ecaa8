"""The deployment files in deploy/: they parse, route only what is public, and set every variable they use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENDPOINTS = DEPLOY / "endpoints.scale.yml"
COMPOSE = DEPLOY / "compose" / "docker-compose.yml"
NGINX = DEPLOY / "compose" / "nginx.conf"
K8S = DEPLOY / "k8s"
YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))
PRIVATE_PATHS = ["/conversations/demo-1/tracker", "/conversations", "/model", "/model/parse", "/status", "/domain"]
ROLES = {"rasa", "actions", "web", "purge"}


def load_all(path: Path) -> list:
    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def k8s_objects(kind: str | None = None, examples: bool = False) -> list[dict]:
    files = sorted(K8S.glob("*.yml")) + (sorted((K8S / "examples").glob("*.yml")) if examples else [])
    objects = [doc for path in files for doc in load_all(path)]
    return [obj for obj in objects if kind is None or obj["kind"] == kind]


def env_vars_in_endpoints() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", ENDPOINTS.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_deploy_yaml_parses(path):
    assert load_all(path)


def test_scale_endpoints_share_state_between_processes():
    endpoints = load_all(ENDPOINTS)[0]
    assert endpoints["tracker_store"]["type"] == "bot.privacy.tracker_store.RedactingTrackerStore"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert (
        endpoints["lock_store"]["type"] == "bot.privacy.lock_store.AtomicRedisLockStore"
    )  # shared: SANIC_WORKERS > 1 needs it
    assert endpoints["lock_store"]["key_prefix"].isalnum()
    # the same DB_* names as the single-server PostgreSQL endpoints and bot.privacy.retention
    postgres = load_all(DEPLOY / "endpoints.postgres.yml")[0]["tracker_store"]
    assert endpoints["tracker_store"] == postgres


def _endpoint_files() -> list[tuple[str, str]]:
    """(name, text) of every endpoints file of ours: the project's, deploy/'s and the Kubernetes ConfigMap's."""
    files = [ROOT / "endpoints.yml", ENDPOINTS, DEPLOY / "endpoints.postgres.yml"]
    found = [(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")) for path in files]
    for config in k8s_objects("ConfigMap"):
        found += [(f"k8s {name}", text) for name, text in config["data"].items() if name.startswith("endpoints")]
    return found


@pytest.mark.parametrize("name,text", _endpoint_files(), ids=lambda value: value if "\n" not in value else "")
def test_action_calls_carry_the_conversation_not_the_whole_domain(name, text, tmp_path, monkeypatch):
    from rasa.core.actions.action import RemoteAction
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    for variable in re.findall(r"\$\{(\w+)\}", text):
        monkeypatch.setenv(variable, "5432" if variable.endswith("PORT") else "x")
    (tmp_path / "endpoints.yml").write_text(text, encoding="utf-8")
    endpoint = AvailableEndpoints.read_endpoints(str(tmp_path / "endpoints.yml")).action
    domain = Domain.load(ROOT / "domain.yml")
    for action in ("action_answer", "action_lesson"):
        body = RemoteAction(action, endpoint)._action_call_format(DialogueStateTracker("pupil-1", []), domain)
        assert "domain" not in body and body["tracker"]["sender_id"] == "pupil-1"
    unselective = RemoteAction("action_answer", type(endpoint)(url=endpoint.url))  # Rasa's default sends it
    assert "domain" in unselective._action_call_format(DialogueStateTracker("pupil-1", []), domain)


def test_our_actions_never_read_the_domain_they_are_no_longer_sent():
    import ast

    for path in sorted((ROOT / "actions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "run":
                used = {n.id for statement in node.body for n in ast.walk(statement) if isinstance(n, ast.Name)}
                assert "domain" not in used, f"{path.name}: run() reads the domain"


# ---------------------------------------------------------------- nginx


def nginx_locations(text: str) -> list[tuple[str, str, str]]:
    """(modifier, pattern, body) of each location block."""
    text = re.sub(r"#[^\n]*", "", text)
    found = []
    for match in re.finditer(r"location\s+(=|~\*|~|\^~)?\s*(\S+)\s*\{", text):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        found.append((match.group(1) or "", match.group(2), text[match.end() : i - 1]))
    return found


def nginx_route(locations, path: str) -> str:
    """Where nginx sends `path`: an upstream name, or 'return NNN' (nginx's location matching rules)."""
    exact = [loc for loc in locations if loc[0] == "=" and loc[1] == path]
    chosen = exact[0] if exact else None
    if chosen is None:
        prefixes = [loc for loc in locations if loc[0] in ("", "^~") and path.startswith(loc[1])]
        longest = max(prefixes, key=lambda loc: len(loc[1]), default=None)
        regexes = [loc for loc in locations if loc[0].startswith("~")]
        if longest is None or longest[0] != "^~":
            for modifier, pattern, body in regexes:
                if re.search(pattern, path, re.IGNORECASE if modifier == "~*" else 0):
                    chosen = (modifier, pattern, body)
                    break
        chosen = chosen or longest
    assert chosen is not None, f"no location for {path}"
    proxy = re.search(r"proxy_pass\s+https?://([\w.-]+)", chosen[2])
    if proxy:
        return proxy.group(1)
    status = re.search(r"return\s+(\d+)", chosen[2])
    return f"return {status.group(1)}"


def test_nginx_sends_only_webhooks_to_rasa():
    locations = nginx_locations(NGINX.read_text(encoding="utf-8"))
    assert nginx_route(locations, "/webhooks/rest/webhook") == "rasa"
    assert nginx_route(locations, "/webhooks/privacy/forget") == "rasa"
    assert nginx_route(locations, "/webhooks/twilio/webhook") == "rasa_channels"
    assert nginx_route(locations, "/webhooks/telegram/webhook") == "rasa_channels"
    assert nginx_route(locations, "/widget.js") == "web"
    for path in PRIVATE_PATHS:
        assert nginx_route(locations, path) == "return 404", path
    for _, pattern, body in locations:
        if re.search(r"proxy_pass\s+http://rasa", body):
            assert pattern.startswith(("^/webhooks/", "/webhooks/")), pattern


def test_nginx_never_reaches_the_action_servers():
    text = NGINX.read_text(encoding="utf-8")
    assert "actions" not in re.sub(r"#[^\n]*", "", text)


# ---------------------------------------------------------------- Kubernetes


def test_ingress_never_routes_the_rasa_api_or_the_action_servers():
    ingresses = k8s_objects("Ingress")
    assert ingresses
    for ingress in ingresses:
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                service = path["backend"]["service"]["name"]
                assert not path["path"].startswith(("/conversations", "/model", "/status", "/domain"))
                assert service != "actions"
                if service.startswith("rasa"):
                    assert path["path"].startswith("/webhooks/"), path["path"]


def test_action_server_service_is_cluster_internal():
    services = {svc["metadata"]["name"]: svc for svc in k8s_objects("Service")}
    assert services["actions"]["spec"].get("type", "ClusterIP") == "ClusterIP"
    for svc in services.values():
        assert svc["spec"].get("type", "ClusterIP") == "ClusterIP", svc["metadata"]["name"]
    policies = [
        p
        for p in k8s_objects("NetworkPolicy")
        if p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == "actions"
    ]
    assert policies, "a NetworkPolicy should admit only the Rasa pods to the action servers"


def test_configmap_endpoints_match_deploy_endpoints():
    configmap = next(cm for cm in k8s_objects("ConfigMap") if cm["metadata"]["name"] == "assistant-endpoints")
    assert yaml.safe_load(configmap["data"]["endpoints.yml"]) == load_all(ENDPOINTS)[0]


def container_env(container: dict, configmaps: dict, secrets: dict) -> set[str]:
    names = {item["name"] for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(configmaps[source["configMapRef"]["name"]])
        elif "secretRef" in source:
            names |= set(secrets[source["secretRef"]["name"]])
    return names


def test_k8s_rasa_pods_get_every_endpoints_variable():
    configmaps = {cm["metadata"]["name"]: cm["data"] for cm in k8s_objects("ConfigMap")}
    secrets = {s["metadata"]["name"]: s["stringData"] for s in k8s_objects("Secret", examples=True)}
    rasa_deployments = [
        d for d in k8s_objects("Deployment") if d["spec"]["template"]["spec"]["containers"][0]["args"] == ["rasa"]
    ]
    assert {d["metadata"]["name"] for d in rasa_deployments} == {"rasa", "rasa-channels"}
    for deployment in rasa_deployments:
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        missing = env_vars_in_endpoints() - container_env(container, configmaps, secrets)
        assert not missing, (deployment["metadata"]["name"], missing)
        assert "RASA_TOKEN" in container_env(container, configmaps, secrets)


def test_k8s_secret_example_holds_placeholders_only():
    for secret in k8s_objects("Secret", examples=True):
        for key, value in secret["stringData"].items():
            assert value == "" or value.startswith("PLACEHOLDER"), key


def test_k8s_rasa_probes_need_no_token_and_resources_fit_a_rasa_process():
    for deployment in k8s_objects("Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        container = spec["containers"][0]
        assert container["args"][0] in ROLES
        if container["args"] == ["rasa"]:
            assert container["readinessProbe"]["httpGet"]["path"] == "/"
            assert container["resources"]["limits"]["memory"] in ("2Gi", "3Gi", "4Gi")


def test_k8s_autoscalers_and_retention_job():
    deployments = {d["metadata"]["name"] for d in k8s_objects("Deployment")}
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in k8s_objects("HorizontalPodAutoscaler")}
    assert set(hpas) == {"rasa", "actions"} and set(hpas) <= deployments
    for hpa in hpas.values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    cron = k8s_objects("CronJob")[0]
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["purge"]


def test_kustomization_lists_existing_files_and_no_examples():
    kustomization = load_all(K8S / "kustomization.yaml")[0]
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource
        assert "example" not in resource and "try-out" not in resource


# ---------------------------------------------------------------- Compose


def test_compose_rasa_services_get_every_endpoints_variable():
    services = load_all(COMPOSE)[0]["services"]
    for name in ("rasa", "rasa-channels"):
        environment = services[name]["environment"]
        missing = env_vars_in_endpoints() - set(environment)
        assert not missing, (name, missing)


def test_compose_publishes_only_nginx_and_keeps_actions_internal():
    compose = load_all(COMPOSE)[0]
    services = compose["services"]
    assert [name for name, svc in services.items() if svc.get("ports")] == ["nginx"]
    assert services["actions"]["networks"] == ["backend"]
    assert compose["networks"]["backend"]["internal"] is True
    for name, svc in services.items():
        if svc["image"].startswith("safeguarding-assistant:"):
            assert svc["command"][0] in ROLES, name


def test_example_env_names_every_required_compose_variable():
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text(encoding="utf-8")))
    example = DEPLOY / "compose" / "example.env"
    defined = set(re.findall(r"^(\w+)=", example.read_text(encoding="utf-8"), re.MULTILINE))
    assert required and not required - defined


def test_env_files_with_secrets_are_not_committed_or_copied():
    assert "deploy/compose/.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    dockerignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".venv", "results", ".git", "conversations.db", "**/.env"):
        assert pattern in dockerignore

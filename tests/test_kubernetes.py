"""The Kubernetes manifests (include_kubernetes): valid for a pinned Kubernetes version,
offline (kubernetes-validate's bundled schemas), and consistent with the service they
run: every variable they set is a setting of the rendered Settings class (or one the
image's entrypoint reads), their commands exist, the user is the image's, and the
termination grace period outlasts the preStop sleep plus the service's own grace."""

from __future__ import annotations

import importlib
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import AliasChoices

from tests.helpers import render

# The oldest Kubernetes the manifests support: lifecycle.preStop.sleep is on from 1.30.
KUBERNETES_VERSION = "1.30.0"
ANSWERS = {"project_name": "Support Desk", "env_prefix": "DESK", "include_kubernetes": True}
SLUG, PACKAGE, PREFIX = "support-desk", "support_desk", "DESK_"
BASES = ("deploy/kubernetes", "deploy/kubernetes/migrate")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("kubernetes") / "project", **ANSWERS)


def resources(project: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file, document) of every resource the kustomize bases list."""
    for base in BASES:
        kustomization = yaml.safe_load((project / base / "kustomization.yaml").read_text())
        for name in kustomization["resources"]:
            for document in yaml.safe_load_all((project / base / name).read_text()):
                yield f"{base}/{name}", document


def by_kind(project: Path, kind: str) -> dict[str, Any]:
    (found,) = [document for _, document in resources(project) if document["kind"] == kind]
    return found


def pod_spec(project: Path, kind: str) -> dict[str, Any]:
    return by_kind(project, kind)["spec"]["template"]["spec"]


def test_every_manifest_is_valid_for_the_pinned_kubernetes(project: Path) -> None:
    kinds = set()
    for name, document in resources(project):
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            raise AssertionError(f"{name}: {error.message} at {list(error.path)}") from error
        kinds.add(document["kind"])
    expected = {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job"}
    assert kinds == expected


def test_the_validator_really_validates() -> None:
    broken = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": "http"}]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_file_is_listed_by_its_kustomization(project: Path) -> None:
    listed = {name for name, _ in resources(project)}
    on_disk = {
        path.relative_to(project).as_posix()
        for path in (project / "deploy/kubernetes").rglob("*.yaml")
        if path.name != "kustomization.yaml"
    }
    assert listed == on_disk


def setting_variables(project: Path) -> set[str]:
    """The variable names the rendered Settings class reads (its aliases included)."""
    sys.path.insert(0, str(project / "src"))
    try:
        module = importlib.import_module(f"{PACKAGE}.settings")
        assert module.ENV_PREFIX == PREFIX
        names = set()
        for name, field in module.Settings.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names |= {str(choice) for choice in alias.choices if str(choice).isupper()}
            else:
                names.add(f"{PREFIX}{name.upper()}")
        return names
    finally:
        sys.path.remove(str(project / "src"))
        for loaded in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[loaded]


def test_every_variable_set_is_a_real_setting(project: Path) -> None:
    settings = setting_variables(project)
    entrypoint = (project / "docker/entrypoint.sh").read_text()
    for kind in ("Deployment", "Job"):
        for container in pod_spec(project, kind)["containers"]:
            for variable in container["env"]:
                name = variable["name"]
                read_by_entrypoint = f"${{{name}:-" in entrypoint
                assert name in settings or read_by_entrypoint, f"{kind} sets unknown {name}"
    deployment_env = {v["name"] for v in pod_spec(project, "Deployment")["containers"][0]["env"]}
    assert {f"{PREFIX}DATABASE_URL", f"{PREFIX}API_KEYS", "OPENAI_API_KEY"} <= deployment_env


def test_secrets_come_from_secret_key_refs(project: Path) -> None:
    for kind in ("Deployment", "Job"):
        for variable in pod_spec(project, kind)["containers"][0]["env"]:
            if re.search("URL|KEY", variable["name"]):
                assert "value" not in variable, variable
                assert variable["valueFrom"]["secretKeyRef"]["name"] == SLUG


def cli_commands(project: Path) -> dict[str, set[str]]:
    """The console script's subcommands and their options, read from __main__.py."""
    source = (project / f"src/{PACKAGE}/__main__.py").read_text()
    commands: dict[str, set[str]] = {}
    for variable, command in re.findall(
        r'(?:(\w+) = )?commands\.add_parser\(\s*"([\w-]+)"', source
    ):
        options = (
            re.findall(rf'\b{variable}\.add_argument\("(--[\w-]+)"', source) if variable else []
        )
        commands[command] = set(options)
    return commands


def test_the_commands_exist(project: Path) -> None:
    scripts = tomllib.loads((project / "pyproject.toml").read_text())["project"]["scripts"]
    commands = cli_commands(project)
    assert {"serve", "migrate", "wait-for-db"} <= set(commands)
    for kind in ("Deployment", "Job"):
        script, command, *arguments = pod_spec(project, kind)["containers"][0]["args"]
        assert script in scripts, (kind, script)
        assert set(arguments[::2]) <= commands[command], (kind, arguments)
    # The Job migrates through the image's entrypoint, as `docker run` would.
    job_env = {v["name"]: v.get("value") for v in pod_spec(project, "Job")["containers"][0]["env"]}
    assert job_env["RUN_DB_MIGRATIONS"] == "true"
    assert f"{SLUG} migrate" in (project / "docker/entrypoint.sh").read_text()
    deployment = pod_spec(project, "Deployment")["containers"][0]
    assert {"name": "RUN_DB_MIGRATIONS", "value": "false"} in deployment["env"]


def test_probes_and_shutdown_match_the_service(project: Path) -> None:
    spec = pod_spec(project, "Deployment")
    (container,) = spec["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env = {v["name"]: v.get("value") for v in container["env"]}
    grace = int(env[f"{PREFIX}SHUTDOWN_GRACE_SECONDS"])
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert spec["terminationGracePeriodSeconds"] > pre_stop + grace
    assert container["resources"]["requests"] and container["resources"]["limits"]


def test_pods_run_as_the_images_user_locked_down(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text()
    (user,) = re.findall(r"^USER (\d+):(\d+)$", dockerfile, flags=re.MULTILINE)
    for kind in ("Deployment", "Job"):
        spec = pod_spec(project, kind)
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert (str(pod["runAsUser"]), str(pod["runAsGroup"])) == user
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        volumes = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            # The container's /tmp, written on an emptyDir: no file of this machine.
            assert mounts.get("/tmp") in volumes  # noqa: S108


def test_no_manifests_unless_asked(tmp_path: Path) -> None:
    project = render(tmp_path / "project")
    assert not (project / "deploy").exists()

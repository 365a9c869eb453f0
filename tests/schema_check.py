#!/usr/bin/env python3
"""Checks docs/lab.schema.json with an independent validator (python3-jsonschema, draft-07).

Every lab in labs/, every tests/data/labs/valid-*.yaml and every YAML example of
docs/lab-file.md must pass; a set of small labs that each break one rule must fail, at the
path of the broken value. Run by ctest as `schema`:

    schema_check.py SOURCE_DIR [MESHLAB]

With MESHLAB (the built binary), `meshlab validate` must accept the VALID snippets too, so
the schema cannot demand what meshlab refuses.
"""

import json
import pathlib
import subprocess
import sys
import tempfile
import textwrap

import jsonschema
import yaml

# Every snippet below is a lab body; these keys are added unless the body sets them itself.
HEADER = {"apiVersion": "meshlab.dev/v1alpha1", "kind": "Lab", "name": "snippet"}

# (what it shows, lab body after HEADER) — labs the schema must accept. They pin down the
# forms that are easy to get wrong: every size spelling, each form of targets, wildcards.
# Each is a sound lab as a whole too, so `meshlab validate` must accept it as well.
VALID = [
    ("sizes multipass accepts", """
        clusters:
          a: {provider: multipass, memory: 1.5G, disk: 10GiB}
          b: {provider: multipass, memory: 512m, disk: 1073741824}
          c: {provider: multipass, memory: "2048M", disk: 20gb}
        """),
    ("targets as all, a cell and a list", """
        cells: {c: {}}
        clusters:
          a: {provider: kind, role: management, cell: c}
          b: {provider: kind, cell: c}
        apps:
          one: {git: {repo: https://example.test/r, path: p}, targets: all}
          two: {git: {repo: git@example.test:r.git, path: p}, targets: {cell: c}}
          three: {helm: {repo: oci://example.test/charts, chart: c, version: 1.0}, targets: [a, b]}
        """),
    ("distribute with wildcards, namespace from a svc host", """
        cells: {c: {}}
        clusters:
          a: {provider: kind, cell: c, locality: east/zone1}
          b: {provider: kind, cell: c, locality: west/zone3}
        traffic:
          t:
            host: hello.sample.svc.cluster.local
            distribute:
              - {from: east/*, to: {east/zone1/*: 20, west: 80}}
              - {from: "*", to: {east: 50, "west/*": 50}}
        """),
    ("external cluster, single-network cell, ecdsa CA, DNS entries", """
        cells: {c: {networkMode: single, network: shared}}
        clusters: {a: {provider: external, kubeconfig: ~/.kube/config, context: prod, cell: c}}
        ca: {keyType: ecdsa, keySize: 384}
        dns: {a.demo.lab: 10.0.0.1, b.demo.lab: ingress}
        registries: {}
        """),
    ("empty prefix", """
        prefix: ""
        clusters: {kube-01: {provider: multipass, image: 24.04}}
        """),
]

# (what is wrong, lab body after HEADER, dotted path the error must be at or below,
#  text the error message must contain)
INVALID = [
    ("unknown top-level key", """
        clustrs: {a: {provider: kind}}
        clusters: {a: {provider: kind}}
        """, "", "clustrs"),
    ("unknown cluster key", """
        clusters: {a: {provider: multipass, cpu: 2}}
        """, "clusters.a", "cpu"),
    ("locality with four parts", """
        clusters: {a: {provider: kind, locality: east/zone1/sub/extra}}
        """, "clusters.a.locality", "does not match"),
    ("locality with an empty zone", """
        clusters: {a: {provider: kind, locality: east//zone1}}
        """, "clusters.a.locality", "does not match"),
    ("memory 4Gi", """
        clusters: {a: {provider: multipass, memory: 4Gi}}
        """, "clusters.a.memory", "4Gi"),
    ("disk banana", """
        clusters: {a: {provider: multipass, disk: banana}}
        """, "clusters.a.disk", "banana"),
    ("unknown cluster provider", """
        clusters: {a: {provider: docker}}
        """, "clusters.a.provider", "docker"),
    ("VM on kind", """
        clusters: {a: {provider: kind}}
        vms: {v: {provider: kind, cluster: a}}
        """, "vms.v.provider", "kind"),
    ("multipass-only key on a kind cluster", """
        clusters: {a: {provider: kind, cpus: 4}}
        """, "clusters.a", "False schema"),
    ("kind-only key on a multipass cluster", """
        clusters: {a: {provider: multipass, nodes: [{role: worker}]}}
        """, "clusters.a", "False schema"),
    ("external cluster without kubeconfig", """
        clusters: {a: {provider: external, context: prod}}
        """, "clusters.a", "kubeconfig"),
    ("cluster name not a DNS label", """
        clusters: {East_1: {provider: kind}}
        """, "clusters", "East_1"),
    ("lab name not a DNS label", """
        name: Mesh_1
        clusters: {a: {provider: kind}}
        """, "name", "Mesh_1"),
    ("prefix with capitals", """
        prefix: Mesh
        clusters: {a: {provider: kind}}
        """, "prefix", "Mesh"),
    ("no clusters", """
        clusters: {}
        """, "clusters", "{}"),
    ("pod CIDR prefix 33", """
        clusters: {a: {provider: kind, podCIDR: 10.0.0.0/33}}
        """, "clusters.a.podCIDR", "10.0.0.0/33"),
    ("service CIDR with a bad octet", """
        clusters: {a: {provider: kind, serviceCIDR: 10.256.0.0/16}}
        """, "clusters.a.serviceCIDR", "10.256.0.0/16"),
    ("app with git and helm", """
        clusters: {a: {provider: kind}}
        apps:
          x:
            git: {repo: https://example.test/r, path: p}
            helm: {repo: https://example.test/c, chart: c, version: 1.0.0}
        """, "apps.x", "valid under each of"),
    ("app with neither git nor helm", """
        clusters: {a: {provider: kind}}
        apps: {x: {namespace: x}}
        """, "apps.x", "is not valid under any"),
    ("targets as a bare cell name", """
        clusters: {a: {provider: kind}}
        apps: {x: {git: {repo: https://example.test/r, path: p}, targets: pasta}}
        """, "apps.x.targets", "pasta"),
    ("targets object with an unknown key", """
        clusters: {a: {provider: kind}}
        apps: {x: {git: {repo: https://example.test/r, path: p}, targets: {cells: pasta}}}
        """, "apps.x.targets", "is not valid under any"),
    ("traffic with failover and distribute", """
        clusters: {a: {provider: kind}}
        traffic:
          t:
            host: h.ns.svc.cluster.local
            failover: [{from: east, to: west}]
            distribute: [{from: east, to: {west: 100}}]
        """, "traffic.t", "valid under each of"),
    ("traffic without namespace for a non-svc host", """
        clusters: {a: {provider: kind}}
        traffic: {t: {host: hello.demo.lab, failover: [{from: east, to: west}]}}
        """, "traffic.t", "namespace"),
    ("percent over 100", """
        clusters: {a: {provider: kind}}
        traffic: {t: {host: h.ns.svc.cluster.local, distribute: [{from: east, to: {west: 120}}]}}
        """, "traffic.t.distribute.0.to.west", "120"),
    ("wrong apiVersion", """
        apiVersion: meshlab.dev/v1
        clusters: {a: {provider: kind}}
        """, "apiVersion", "meshlab.dev/v1alpha1"),
    ("wrong kind", """
        kind: Cluster
        clusters: {a: {provider: kind}}
        """, "kind", "Lab"),
    ("ecdsa key of 4096 bits", """
        clusters: {a: {provider: kind}}
        ca: {keyType: ecdsa, keySize: 4096}
        """, "ca.keySize", "4096"),
    ("rsa key of 1024 bits", """
        clusters: {a: {provider: kind}}
        ca: {keySize: 1024}
        """, "ca.keySize", "1024"),
    ("root certificate without its key", """
        clusters: {a: {provider: kind}}
        ca: {rootCert: root.pem}
        """, "ca", "rootKey"),
    ("shared network on a multi-network cell", """
        cells: {c: {network: shared}}
        clusters: {a: {provider: kind, cell: c}}
        """, "cells.c", "networkMode"),
    ("registry port below 1024", """
        clusters: {a: {provider: kind}}
        registries: {docker.io: {port: 80}}
        """, "registries.docker.io.port", "80"),
    ("registry over plain http", """
        clusters: {a: {provider: kind}}
        registries: {docker.io: {url: http://registry-1.docker.io, port: 5001}}
        """, "registries.docker.io.url", "http://"),
    ("dns entry that is neither an address nor ingress", """
        clusters: {a: {provider: kind}}
        dns: {h.demo.lab: ingres}
        """, "dns.h.demo.lab", "ingres"),
    ("unknown istio component", """
        clusters: {a: {provider: kind}}
        istio: {components: [base, pilot]}
        """, "istio.components.1", "pilot"),
    ("kind node role master", """
        clusters: {a: {provider: kind, nodes: [{role: master}]}}
        """, "clusters.a.nodes.0.role", "master"),
]


def dotted(path):
    return ".".join(str(part) for part in path)


def errors_of(validator, document):
    """Every error, with the sub-errors of oneOf/anyOf flattened in, as (path, message)."""
    found = []
    stack = list(validator.iter_errors(document))
    while stack:
        error = stack.pop()
        found.append((dotted(error.absolute_path), error.message))
        stack.extend(error.context or [])
    return found


def doc_examples(markdown):
    """(line number, text) of every ```yaml block."""
    blocks, current, start = [], None, 0
    for number, line in enumerate(markdown.splitlines(), 1):
        if current is None and line.strip() == "```yaml":
            current, start = [], number + 1
        elif current is not None and line.strip() == "```":
            blocks.append((start, "\n".join(current) + "\n"))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def meshlab_validate(meshlab, document):
    with tempfile.TemporaryDirectory(prefix="meshlab-schema-") as directory:
        path = pathlib.Path(directory) / "lab.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return subprocess.run([meshlab, "validate", "-f", str(path)], capture_output=True, text=True, timeout=60)


def load_yaml(text, name):
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise SystemExit(f"{name}: not a YAML mapping")
    return document


def snippet(body, what):
    return {**HEADER, **load_yaml(textwrap.dedent(body), what)}


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: schema_check.py SOURCE_DIR [MESHLAB]")
    source = pathlib.Path(sys.argv[1])
    meshlab = sys.argv[2] if len(sys.argv) == 3 else None
    schema = json.loads((source / "docs/lab.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    failures = 0

    def report(ok, what, detail=""):
        nonlocal failures
        print(f"{'ok  ' if ok else 'FAIL'} {what}{(': ' + detail) if detail else ''}")
        failures += 0 if ok else 1

    files = sorted((source / "labs").glob("*.yaml")) + sorted((source / "tests/data/labs").glob("valid-*.yaml"))
    report(len(files) >= 4, "labs/ holds the example labs", f"{len(files)} files")
    for path in files:
        errors = errors_of(validator, load_yaml(path.read_text(), path))
        report(not errors, f"valid {path.relative_to(source)}", "; ".join(f"{p or '<top>'}: {m}" for p, m in errors))

    # The YAML examples of docs/lab-file.md: each fragment, completed into a lab, must pass;
    # a block that starts with "# invalid" must not.
    doc = (source / "docs/lab-file.md").read_text()
    examples = 0
    for number, block in doc_examples(doc):
        document = yaml.safe_load(block)
        if document is None:
            continue  # only comments (the yaml-language-server line)
        examples += 1
        errors = errors_of(validator, {**HEADER, "clusters": {"a": {"provider": "kind"}}, **document})
        if block.startswith("# invalid"):
            report(bool(errors), f"rejects the invalid example at docs/lab-file.md:{number}")
        else:
            report(not errors, f"accepts the example at docs/lab-file.md:{number}",
                   "; ".join(f"{p or '<top>'}: {m}" for p, m in errors))
    report(examples >= 13, "docs/lab-file.md has an example per section", f"{examples} examples")

    for what, body in VALID:
        errors = errors_of(validator, snippet(body, what))
        report(not errors, f"accepts {what}", "; ".join(f"{p or '<top>'}: {m}" for p, m in errors))
        if meshlab:
            result = meshlab_validate(meshlab, snippet(body, what))
            report(result.returncode == 0, f"meshlab validate accepts {what}", result.stderr.strip())

    for what, body, path, text in INVALID:
        errors = errors_of(validator, snippet(body, what))
        hit = any((p == path or p.startswith(path + ".") or not path) and text in m for p, m in errors)
        detail = "" if hit else f"expected an error at {path or '<top>'} mentioning {text!r}; got " + (
            "; ".join(f"{p or '<top>'}: {m}" for p, m in errors) or "none")
        report(hit, f"rejects {what}", detail)

    print(f"{failures} failure(s)" if failures else "all schema checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Validates Volcano Job manifests against Volcano's own CRD schema.

No Kubernetes API server can run on the build machines (and `kubectl
--dry-run=client` needs one for discovery), so skyrun's rendered manifests are
checked the way the API server would check them:

  1. JSON-schema validation (Draft 7) against spec.versions[v1alpha1]
     .schema.openAPIV3Schema of batch.volcano.sh_jobs.yaml: types, enums,
     patterns, minimums, required fields;
  2. a strict walk: every key must be declared in `properties` (or covered by
     `additionalProperties` / x-kubernetes-preserve-unknown-fields), because an
     API server silently prunes unknown fields of a structural schema; integer
     formats int32/int64 must hold the value;
  3. what the API server checks itself and the schema does not carry: the Job's
     ObjectMeta (name, namespace, label keys and values), the pod templates'
     labels, and that every pod name "<job>-<task>-<index>" Volcano will create
     is a DNS label;
  4. the rules of Volcano's validating admission webhook (a schema check never
     reaches it): at least one task, unique task names, minAvailable not above
     the total replicas, known policy actions, no event twice in one policy list.

Usage:
  validate_manifest.py --crd CRD.yaml MANIFEST...            all must be valid
  validate_manifest.py --crd CRD.yaml --expect-invalid TEXT MANIFEST...
                                                  all must be rejected, with TEXT
                                                  in the errors
  validate_manifest.py --crd CRD.yaml --self-test MANIFEST    MANIFEST must be
                                                  valid and each of a set of
                                                  mutations of it rejected
Needs Debian's python3-jsonschema and python3-yaml (run with /usr/bin/python3).
"""

import argparse
import copy
import json
import re
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:  # pragma: no cover
    sys.exit(f"validate_manifest.py: {e}; install python3-jsonschema and python3-yaml "
             "(apt-get install -y python3-jsonschema python3-yaml) and run with /usr/bin/python3")

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
OBJECT_META_FIELDS = {"name", "namespace", "labels", "annotations", "generateName", "finalizers", "ownerReferences"}
# Actions Volcano's webhook accepts in a policy.
POLICY_ACTIONS = {"AbortJob", "RestartJob", "RestartTask", "RestartPod", "RestartPartition", "TerminateJob",
                  "CompleteJob", "ResumeJob"}
INT_RANGES = {"int32": (-(2 ** 31), 2 ** 31 - 1), "int64": (-(2 ** 63), 2 ** 63 - 1)}


def load_schema(crd_path, version="v1alpha1"):
    with open(crd_path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for doc in docs:
        if doc.get("kind") != "CustomResourceDefinition":
            continue
        for v in doc["spec"]["versions"]:
            if v["name"] == version:
                return v["schema"]["openAPIV3Schema"]
    sys.exit(f"{crd_path}: no CustomResourceDefinition with version {version}")


def fmt(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(root)"


def strict_walk(instance, schema, path, errors):
    """Fields the API server would prune, and integers out of their format's range."""
    if not isinstance(schema, dict):
        return
    if isinstance(instance, bool):
        return
    if isinstance(instance, int):
        rng = INT_RANGES.get(schema.get("format"))
        if rng and not rng[0] <= instance <= rng[1]:
            errors.append(f"{fmt(path)}: {instance} does not fit {schema['format']}")
        return
    if isinstance(instance, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for i, v in enumerate(instance):
                strict_walk(v, items, path + (i,), errors)
        return
    if not isinstance(instance, dict):
        return
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if path == ("metadata",):
        # The root ObjectMeta: the API server validates it itself (the schema says only "object").
        for k in instance:
            if k not in OBJECT_META_FIELDS:
                errors.append(f"unknown field metadata.{k} (not an ObjectMeta field skyrun uses)")
        return
    props = schema.get("properties")
    addl = schema.get("additionalProperties")
    for k, v in instance.items():
        if props is not None and k in props:
            strict_walk(v, props[k], path + (k,), errors)
        elif isinstance(addl, dict):
            strict_walk(v, addl, path + (k,), errors)
        elif addl is True:
            continue
        else:
            errors.append(f"unknown field {fmt(path + (k,))}: not in the schema, an API server would prune it")


def check_labels(labels, where, errors):
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        name = key.split("/", 1)[-1]
        prefix = key.split("/", 1)[0] if "/" in key else None
        if not (name and len(name) <= 63 and LABEL_NAME.match(name)) or (
                prefix is not None and not (len(prefix) <= 253 and DNS_SUBDOMAIN.match(prefix))):
            errors.append(f"{where}: label key {key!r} is not a valid label name")
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            errors.append(f"{where}: label {key}={value!r} is not a valid label value")


def api_server_checks(m, errors):
    meta = m.get("metadata") if isinstance(m, dict) else None
    if not isinstance(meta, dict):
        errors.append("metadata: missing")
        return
    name = meta.get("name")
    if not isinstance(name, str) or not DNS_SUBDOMAIN.match(name) or len(name) > 253:
        errors.append(f"metadata.name {name!r} is not a DNS-1123 subdomain")
        name = None
    ns = meta.get("namespace")
    if ns is not None and (not isinstance(ns, str) or not DNS_LABEL.match(ns)):
        errors.append(f"metadata.namespace {ns!r} is not a DNS label")
    check_labels(meta.get("labels", {}), "metadata.labels", errors)
    annotations = meta.get("annotations", {})
    if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
        errors.append("metadata.annotations: values must be strings")
    if m.get("apiVersion") != "batch.volcano.sh/v1alpha1" or m.get("kind") != "Job":
        errors.append(f"apiVersion/kind {m.get('apiVersion')}/{m.get('kind')} is not batch.volcano.sh/v1alpha1 Job")
    tasks = (m.get("spec") or {}).get("tasks") if isinstance(m.get("spec"), dict) else None
    if not isinstance(tasks, list):
        return
    for i, t in enumerate(tasks):
        if not isinstance(t, dict):
            continue
        tmeta = (t.get("template") or {}).get("metadata") if isinstance(t.get("template"), dict) else None
        if isinstance(tmeta, dict):
            check_labels(tmeta.get("labels", {}), f"spec.tasks[{i}].template.metadata.labels", errors)
        replicas = t.get("replicas")
        tname = t.get("name")
        if name and isinstance(tname, str) and isinstance(replicas, int) and replicas > 0:
            pod = f"{name}-{tname}-{replicas - 1}"
            if len(pod) > 63 or not DNS_LABEL.match(pod):
                errors.append(f"spec.tasks[{i}]: pod name {pod!r} ({len(pod)} characters) is longer than 63 "
                              "or not a DNS label; Volcano names pods <job>-<task>-<index>")


def check_policies(policies, where, errors):
    if not isinstance(policies, list):
        return
    seen = set()
    for i, p in enumerate(policies):
        if not isinstance(p, dict):
            continue
        action = p.get("action")
        if action is not None and action not in POLICY_ACTIONS:
            errors.append(f"{where}[{i}].action: {action!r} is not a policy action Volcano accepts "
                          f"({', '.join(sorted(POLICY_ACTIONS))})")
        events = [p["event"]] if isinstance(p.get("event"), str) else []
        if isinstance(p.get("events"), list):
            events += [e for e in p["events"] if isinstance(e, str)]
        for e in events:
            if e in seen:
                errors.append(f"{where}[{i}]: duplicate policy event {e!r}")
            seen.add(e)
        if p.get("exitCode") == 0:
            errors.append(f"{where}[{i}].exitCode: 0 is not an error code")


def volcano_webhook_checks(m, errors):
    spec = m.get("spec") if isinstance(m, dict) else None
    if not isinstance(spec, dict):
        return
    tasks = spec.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        errors.append("spec.tasks: No task specified in job spec")
        return
    names = set()
    total = 0
    for i, t in enumerate(tasks):
        if not isinstance(t, dict):
            continue
        name = t.get("name")
        if name in names:
            errors.append(f"spec.tasks[{i}]: duplicated task name {name!r}")
        names.add(name)
        if isinstance(t.get("replicas"), int) and not isinstance(t.get("replicas"), bool):
            total += t["replicas"]
        check_policies(t.get("policies"), f"spec.tasks[{i}].policies", errors)
    check_policies(spec.get("policies"), "spec.policies", errors)
    min_available = spec.get("minAvailable")
    if isinstance(min_available, int) and not isinstance(min_available, bool) and min_available > total:
        errors.append(f"spec.minAvailable: {min_available} should not be greater than total replicas in tasks ({total})")


def validate(manifest, schema):
    errors = []
    validator = jsonschema.Draft7Validator(schema)
    for e in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path)):
        errors.append(f"{fmt(tuple(e.absolute_path))}: {e.message}")
    strict_walk(manifest, schema, (), errors)
    api_server_checks(manifest, errors)
    volcano_webhook_checks(manifest, errors)
    return errors


def load(path):
    with open(path) as f:
        return json.load(f)


# (name, mutation, words its rejection must contain)
def _set(path, value):
    def f(m):
        cur = m
        for p in path[:-1]:
            cur = cur[p]
        cur[path[-1]] = value
    return f


def _del(path):
    def f(m):
        cur = m
        for p in path[:-1]:
            cur = cur[p]
        del cur[path[-1]]
    return f


CONTAINER = ("spec", "tasks", 0, "template", "spec", "containers", 0)
MUTATIONS = [
    ("replicas as a string", _set(("spec", "tasks", 0, "replicas"), "2"), "is not of type 'integer'"),
    ("unknown container field", _set(CONTAINER + ("gpus",), 2), "unknown field"),
    ("unknown job field", _set(("spec", "gangSize"), 2), "unknown field spec.gangSize"),
    ("unknown policy event", _set(("spec", "policies", 0, "event"), "PodOOM"), "is not one of"),
    ("container without a name", _del(CONTAINER + ("name",)), "'name' is a required property"),
    ("task name with capitals", _set(("spec", "tasks", 0, "name"), "Worker"), "does not match"),
    ("queue with a space", _set(("spec", "queue"), "research q"), "does not match"),
    ("negative minAvailable", _set(("spec", "minAvailable"), -1), "less than the minimum"),
    ("memory that is not a quantity", _set(CONTAINER + ("resources", "limits", "memory"), "lots"), "does not match"),
    ("env value as a number", _set(CONTAINER + ("env", 0, "value"), 5), "is not of type 'string'"),
    ("minAvailable beyond int32", _set(("spec", "minAvailable"), 2 ** 40), "does not fit int32"),
    ("bad label value", _set(("metadata", "labels", "skyrun.io/tenant"), "NLP team"), "not a valid label value"),
    ("unknown metadata field", _set(("metadata", "owner"), "x"), "unknown field metadata.owner"),
    ("tasks missing", _del(("spec", "tasks")), "No task specified"),
    ("minAvailable above the replicas", _set(("spec", "minAvailable"), 3), "greater than total replicas"),
    ("duplicated task name", lambda m: m["spec"]["tasks"].append(copy.deepcopy(m["spec"]["tasks"][0])),
     "duplicated task name"),
    ("unknown policy action", _set(("spec", "policies", 0, "action"), "RebootNode"), "not a policy action"),
    ("an event twice", lambda m: m["spec"]["policies"].append({"event": "PodEvicted", "action": "AbortJob"}),
     "duplicate policy event"),
    ("restartPolicy as a list", _set(("spec", "tasks", 0, "template", "spec", "restartPolicy"), ["Never"]),
     "is not of type 'string'"),
]


def self_test(path, schema):
    base = load(path)
    errors = validate(base, schema)
    if errors:
        print(f"FAIL {path}: the base manifest is not valid:")
        for e in errors:
            print(f"  {e}")
        return 1
    failed = 0
    for name, mutate, words in MUTATIONS:
        m = copy.deepcopy(base)
        try:
            mutate(m)
        except (KeyError, IndexError, TypeError) as e:
            print(f"FAIL mutation '{name}' does not apply to {path}: {e!r}")
            failed += 1
            continue
        errors = validate(m, schema)
        if not errors:
            print(f"FAIL mutation '{name}' was accepted")
            failed += 1
        elif words and not any(words in e for e in errors):
            print(f"FAIL mutation '{name}' was rejected, but not with {words!r}: {errors}")
            failed += 1
        else:
            print(f"ok   mutation '{name}' rejected: {errors[0]}")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--crd", required=True)
    ap.add_argument("--version", default="v1alpha1")
    ap.add_argument("--expect-invalid", metavar="TEXT")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("manifests", nargs="+")
    args = ap.parse_args()
    schema = load_schema(args.crd, args.version)
    if args.self_test:
        return max(self_test(p, schema) for p in args.manifests)
    status = 0
    for path in args.manifests:
        try:
            errors = validate(load(path), schema)
        except (OSError, ValueError) as e:
            print(f"FAIL {path}: cannot read it as JSON: {e}")
            status = 1
            continue
        if args.expect_invalid is None:
            if errors:
                status = 1
                print(f"FAIL {path}:")
                for e in errors:
                    print(f"  {e}")
            else:
                print(f"ok   {path}")
        else:
            if not errors:
                status = 1
                print(f"FAIL {path}: accepted, but it should have been rejected")
            elif not any(args.expect_invalid in e for e in errors):
                status = 1
                print(f"FAIL {path}: rejected, but no error mentions {args.expect_invalid!r}:")
                for e in errors:
                    print(f"  {e}")
            else:
                print(f"ok   {path} rejected:")
                for e in errors:
                    print(f"  {e}")
    return status


if __name__ == "__main__":
    sys.exit(main())

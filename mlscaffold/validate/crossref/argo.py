"""Argo pipeline rules: parameters, DAG references and WorkflowTemplate refs."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mlscaffold.validate.crossref.team import RuleHit, Tree, workflow_spec
from mlscaffold.validate.documents import Document, pointer_of
from mlscaffold.validate.pods import as_list, as_map

_EXPRESSION = re.compile(r"\{\{\s*([^=}][^}]*?)\s*\}\}")


def _strings(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """Every string under ``node`` with its pointer."""
    if isinstance(node, str):
        yield pointer, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(
                value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            )
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{pointer}/{i}")


def _refs(node: Any, pointer: str, prefix: str) -> Iterator[tuple[str, list[str]]]:
    """``{{prefix.a.b}}`` references under ``node``: (pointer, ["a", "b"])."""
    for ptr, text in _strings(node, pointer):
        if "{{" not in text:
            continue  # most strings hold no expression; skip the regex
        for expr in _EXPRESSION.findall(text):
            if expr.startswith(prefix + "."):
                yield ptr, expr[len(prefix) + 1 :].split(".")


def _param_names(items: object) -> set[str]:
    return {str(as_map(p).get("name")) for p in as_list(items)}


def parameter_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS412-416, 419, 420: parameters, DAG references, template refs."""
    templates_by_name = {d.name: d for d in tree.of_kind("WorkflowTemplate")}
    for doc in tree.docs:
        spec, base = workflow_spec(doc)
        if not spec:
            continue
        declared = _param_names(as_map(spec.get("arguments")).get("parameters"))
        ref = as_map(spec.get("workflowTemplateRef"))
        if ref and not ref.get("clusterScope"):
            yield from _template_ref(
                doc, base, spec, str(ref.get("name")), templates_by_name
            )
            target = templates_by_name.get(str(ref.get("name")))
            declared |= _param_names(
                as_map(
                    as_map(as_map(target.data if target else {}).get("spec")).get(
                        "arguments"
                    )
                ).get("parameters")
            )
        for ptr, parts in _refs(spec, pointer_of(base), "workflow.parameters"):
            if parts[0] not in declared:
                yield (
                    "MLS414",
                    doc,
                    ptr,
                    (
                        f"Parameters: {doc.kind} {doc.name} uses "
                        f"workflow.parameters.{parts[0]}, which "
                        "spec.arguments.parameters does not declare; declare it or "
                        f"use one of {', '.join(sorted(declared)) or 'none'}."
                    ),
                )
        templates = {
            str(as_map(t).get("name")): as_map(t)
            for t in as_list(spec.get("templates"))
        }
        for i, tmpl in enumerate(as_list(spec.get("templates"))):
            yield from _template(doc, (*base, "templates", i), as_map(tmpl), templates)


def _template_ref(
    doc: Document,
    base: tuple[str, ...],
    spec: Mapping[str, Any],
    name: str,
    known: Mapping[str, Document],
) -> Iterator[RuleHit]:
    if not known:
        return
    target = known.get(name)
    if target is None:
        yield (
            "MLS416",
            doc,
            pointer_of((*base, "workflowTemplateRef", "name")),
            (
                f"Pipeline: {doc.kind} {doc.name} runs WorkflowTemplate "
                f'"{name}", which this tree does not define; write '
                f"one of {', '.join(sorted(known))}."
            ),
        )
        return
    offered = _param_names(
        as_map(as_map(as_map(target.data).get("spec")).get("arguments")).get(
            "parameters"
        )
    )
    for i, param in enumerate(as_list(as_map(spec.get("arguments")).get("parameters"))):
        pname = str(as_map(param).get("name"))
        if pname not in offered:
            yield (
                "MLS420",
                doc,
                pointer_of((*base, "arguments", "parameters", i)),
                (
                    f'Parameters: {doc.kind} {doc.name} passes "{pname}", '
                    f"which WorkflowTemplate {name} does not declare; "
                    f"use one of {', '.join(sorted(offered)) or 'none'}."
                ),
            )


def _template(
    doc: Document,
    path: tuple[str | int, ...],
    tmpl: Mapping[str, Any],
    templates: Mapping[str, Mapping[str, Any]],
) -> Iterator[RuleHit]:
    name = tmpl.get("name")
    inputs = _param_names(as_map(tmpl.get("inputs")).get("parameters"))
    for ptr, parts in _refs(
        {k: v for k, v in tmpl.items() if k != "inputs"},
        pointer_of(path),
        "inputs.parameters",
    ):
        if parts[0] not in inputs:
            yield (
                "MLS415",
                doc,
                ptr,
                (
                    f'Parameters: template "{name}" uses inputs.parameters.{parts[0]} '
                    "but declares no such input; add it under inputs.parameters."
                ),
            )
    tasks = [as_map(t) for t in as_list(as_map(tmpl.get("dag")).get("tasks"))]
    by_name = {str(t.get("name")): t for t in tasks}
    for i, task in enumerate(tasks):
        yield from _task(doc, (*path, "dag", "tasks", i), task, by_name, templates)
    for i, group in enumerate(as_list(tmpl.get("steps"))):
        for j, step in enumerate(as_list(group)):
            yield from _supplied(doc, (*path, "steps", i, j), as_map(step), templates)


def _dependencies(task: Mapping[str, Any]) -> list[str]:
    names = [str(d) for d in as_list(task.get("dependencies"))]
    depends = task.get("depends")
    if isinstance(depends, str):
        names += [
            token.split(".")[0]
            for token in re.findall(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", depends)
        ]
    return names


def _ancestors(name: str, tasks: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for dep in _dependencies(tasks.get(todo.pop(), {})):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _task(
    doc: Document,
    path: tuple[str | int, ...],
    task: Mapping[str, Any],
    tasks: Mapping[str, Mapping[str, Any]],
    templates: Mapping[str, Mapping[str, Any]],
) -> Iterator[RuleHit]:
    name = str(task.get("name"))
    for dep in _dependencies(task):
        if dep not in tasks:
            yield (
                "MLS419",
                doc,
                pointer_of((*path, "depends" if "depends" in task else "dependencies")),
                (
                    f'Pipeline: task "{name}" depends on "{dep}", which '
                    f"is not a task of this DAG; use one of {', '.join(sorted(tasks))}."
                ),
            )
    ancestors = _ancestors(name, tasks)
    for ptr, parts in _refs(task, pointer_of(path), "tasks"):
        yield from _task_ref(doc, ptr, name, parts, ancestors, tasks, templates)
    yield from _supplied(doc, path, task, templates)


def _task_ref(
    doc: Document,
    ptr: str,
    name: str,
    parts: list[str],
    ancestors: set[str],
    tasks: Mapping[str, Mapping[str, Any]],
    templates: Mapping[str, Mapping[str, Any]],
) -> Iterator[RuleHit]:
    source = parts[0]
    ref = "tasks." + ".".join(parts)
    if source not in tasks:
        yield (
            "MLS412",
            doc,
            ptr,
            (
                f'Pipeline: task "{name}" reads {ref}, but the DAG '
                f'has no task "{source}"; use one of {", ".join(sorted(tasks))}.'
            ),
        )
    elif source not in ancestors:
        yield (
            "MLS412",
            doc,
            ptr,
            (
                f'Pipeline: task "{name}" reads {ref} without depending '
                f'on "{source}"; add "{source}" to its depends.'
            ),
        )
    elif parts[1:3] == ["outputs", "parameters"] and len(parts) > 3:
        template = templates.get(str(tasks[source].get("template")))
        outputs = _param_names(
            as_map(as_map(template).get("outputs")).get("parameters")
        )
        if template is not None and parts[3] not in outputs:
            yield (
                "MLS412",
                doc,
                ptr,
                (
                    f'Pipeline: task "{name}" reads output "{parts[3]}" '
                    f'of task "{source}", whose template declares '
                    f"{', '.join(sorted(outputs)) or 'no outputs'}; "
                    "declare it under outputs.parameters or read another."
                ),
            )


def _supplied(
    doc: Document,
    path: tuple[str | int, ...],
    call: Mapping[str, Any],
    templates: Mapping[str, Mapping[str, Any]],
) -> Iterator[RuleHit]:
    template = templates.get(str(call.get("template")))
    if template is None:
        return  # templateRef or inline: not resolved here
    given = _param_names(as_map(call.get("arguments")).get("parameters"))
    for param in as_list(as_map(template.get("inputs")).get("parameters")):
        param = as_map(param)
        if (
            param.get("name") not in given
            and "default" not in param
            and "value" not in param
        ):
            yield (
                "MLS413",
                doc,
                pointer_of(path),
                (
                    f'Parameters: "{call.get("name")}" calls template '
                    f'"{template.get("name")}" without its input '
                    f'"{param.get("name")}"; '
                    "add it to arguments.parameters."
                ),
            )

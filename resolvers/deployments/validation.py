"""Input checks of the deployment mutations: each returns every problem it finds, so one
answer lists them all (userErrors)."""

from __future__ import annotations

import math
import re
from typing import Any

from resolvers.mutations import Problem

ENVIRONMENTS = ("dev", "staging", "production")
MIN_REPLICAS, MAX_REPLICAS = 1, 100
NAME_MAX, TEXT_MAX, URL_MAX = 200, 50, 2000
SERVICE_TYPE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
CPU = re.compile(r"^\d+(\.\d+)?m?$")  # Kubernetes quantities: "2", "0.5", "500m"
MEMORY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$")  # "512Mi", "4Gi"
RESOURCE_KEYS = ("cpu", "memory", "gpu")
AUTOSCALING_KEYS = ("enabled", "min_replicas", "max_replicas", "target_cpu_utilization")

INVALID, OUT_OF_RANGE = "INVALID", "OUT_OF_RANGE"


def name_problems(name: str) -> list[Problem]:
    if not name:
        return [Problem("name", "name must not be empty", INVALID)]
    if len(name) > NAME_MAX:
        return [Problem("name", f"name: at most {NAME_MAX} characters", INVALID)]
    return []


def environment_problems(environment: str) -> list[Problem]:
    if environment in ENVIRONMENTS:
        return []
    return [Problem("environment", f"environment must be one of {', '.join(ENVIRONMENTS)}",
                    INVALID)]


def service_type_problems(service_type: str) -> list[Problem]:
    if SERVICE_TYPE.match(service_type):
        return []
    return [Problem("serviceType", "serviceType: 1 to 50 of a-z, 0-9, '_' and '-', starting "
                                   "with a letter or digit", INVALID)]


def replicas_problems(replicas: int) -> list[Problem]:
    if MIN_REPLICAS <= replicas <= MAX_REPLICAS:
        return []
    return [Problem("replicas", f"replicas must be {MIN_REPLICAS} to {MAX_REPLICAS}",
                    OUT_OF_RANGE)]


def traffic_problems(traffic: float) -> list[Problem]:
    if math.isfinite(traffic) and 0 <= traffic <= 100:
        return []
    return [Problem("trafficPercentage", "trafficPercentage must be 0 to 100", OUT_OF_RANGE)]


def short_text_problems(field: str, value: str | None) -> list[Problem]:
    if value is not None and len(value) > TEXT_MAX:
        return [Problem(field, f"{field}: at most {TEXT_MAX} characters", INVALID)]
    return []


def url_problems(value: str | None) -> list[Problem]:
    if value is None or (value.startswith(("http://", "https://")) and len(value) <= URL_MAX
                         and not any(c.isspace() for c in value)):
        return []
    return [Problem("endpointUrl", f"endpointUrl: an http(s) URL of at most {URL_MAX} "
                                   "characters", INVALID)]


def object_problems(field: str, value: Any) -> list[Problem]:
    if isinstance(value, dict):
        return []
    return [Problem(field, f"{field} must be a JSON object", INVALID)]


def resource_problems(value: Any) -> list[Problem]:
    field = "resourceAllocation"
    if not isinstance(value, dict):
        return object_problems(field, value)
    problems = [Problem(field, f"{field}: unknown key {key!r} (use {', '.join(RESOURCE_KEYS)})",
                        INVALID) for key in value if key not in RESOURCE_KEYS]
    cpu, memory, gpu = (value.get(k) for k in RESOURCE_KEYS)
    if cpu is not None and not (_positive_number(cpu) or (isinstance(cpu, str)
                                                          and CPU.match(cpu))):
        problems.append(Problem(field, f'{field}.cpu: cores as a number > 0 or a quantity such '
                                       f'as "500m"', INVALID))
    if memory is not None and not (isinstance(memory, str) and MEMORY.match(memory)):
        problems.append(Problem(field, f'{field}.memory: a quantity such as "512Mi" or "4Gi"',
                                INVALID))
    if gpu is not None and not (_integer(gpu) and gpu >= 0):
        problems.append(Problem(field, f"{field}.gpu: an integer ≥ 0", INVALID))
    return problems


def autoscaling_problems(value: Any) -> list[Problem]:
    field = "autoscalingConfig"
    if not isinstance(value, dict):
        return object_problems(field, value)
    problems = [Problem(field, f"{field}: unknown key {key!r} (use "
                               f"{', '.join(AUTOSCALING_KEYS)})", INVALID)
                for key in value if key not in AUTOSCALING_KEYS]
    enabled = value.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        problems.append(Problem(field, f"{field}.enabled: true or false", INVALID))
    bounds = {}
    for key in ("min_replicas", "max_replicas"):
        bound = value.get(key)
        if bound is None:
            continue
        if _integer(bound) and MIN_REPLICAS <= bound <= MAX_REPLICAS:
            bounds[key] = bound
        else:
            problems.append(Problem(field, f"{field}.{key}: an integer, {MIN_REPLICAS} to "
                                           f"{MAX_REPLICAS}", OUT_OF_RANGE))
    if len(bounds) == 2 and bounds["min_replicas"] > bounds["max_replicas"]:
        problems.append(Problem(field, f"{field}: min_replicas must not exceed max_replicas",
                                OUT_OF_RANGE))
    target = value.get("target_cpu_utilization")
    if target is not None and not (_positive_number(target) and 1 <= target <= 100):
        problems.append(Problem(field, f"{field}.target_cpu_utilization: 1 to 100",
                                OUT_OF_RANGE))
    return problems


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)

"""docker-compose.yml runs two replicas of each service and of the gateway (behind one proxy),
and the Grafana dashboard charts only metrics the gateway's /metrics exposes."""

import json
import re
from pathlib import Path

import yaml

from deploy.stack import SERVICES
from gateway import metrics

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_two_replicas_of_every_service_and_the_gateway():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in (*SERVICES, "gateway"):
        assert compose[name]["deploy"]["replicas"] >= 2, name
    assert "ports" not in compose["gateway"]  # two replicas cannot share one host port
    assert compose["proxy"]["ports"] == ["8000:8000"]
    assert compose["migrate"]["restart"] == "no"  # the one-shot job


def test_the_dashboard_charts_metrics_the_gateway_exposes():
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    source = Path(metrics.__file__).read_text()
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used |= set(
                re.findall(r"\b((?:gateway|service)_[a-z_]+?)(?:_bucket)?\b", target["expr"])
            )
    assert used
    for name in used:
        assert name in source, name

"""The multi-machine deploy files (deploy/cluster, deploy/nginx) agree with the code that reads them,
and nginx itself accepts the balancer's configuration."""

from __future__ import annotations

import re
import subprocess

import pytest

from bot import paths
from bot.tools import cluster

DEPLOY = paths.REPO / "deploy"


def env_example() -> dict[str, str]:
    found = {}
    for line in (DEPLOY / "cluster" / "cluster.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            found[key] = value
    return found


def test_the_env_example_sets_every_variable_of_the_cluster_endpoints():
    wanted = set(re.findall(r"\$\{(\w+)\}", paths.CLUSTER_ENDPOINTS.read_text(encoding="utf-8")))
    assert wanted == {
        "ACTION_ENDPOINT_URL",
        *(f"TRACKER_{key}" for key in ("HOST", "PORT", "DB", "USER", "PASSWORD")),
        *(f"REDIS_{key}" for key in ("HOST", "PORT", "DB", "PASSWORD")),
    }
    example = env_example()
    assert wanted <= set(example)
    assert example["HUIZE_ENDPOINTS"] == "bot/endpoints-cluster.yml"
    assert (paths.REPO / example["HUIZE_ENDPOINTS"]) == paths.CLUSTER_ENDPOINTS
    assert {"RASA_URL", "ACTIONS_URL", "LISTEN_ADDRESS", "SANIC_HOST"} <= set(example)


def test_the_endpoints_variable_chooses_the_file(monkeypatch):
    monkeypatch.delenv(paths.ENDPOINTS_VARIABLE, raising=False)
    assert paths.endpoints() == paths.ENDPOINTS
    monkeypatch.setenv(paths.ENDPOINTS_VARIABLE, "bot/endpoints-cluster.yml")
    assert paths.endpoints() == paths.CLUSTER_ENDPOINTS


@pytest.mark.parametrize("unit", ["huize-rasa", "huize-actions", "huize-gateway"])
def test_each_drop_in_reads_the_cluster_environment(unit):
    text = (DEPLOY / "cluster" / f"{unit}.service.d" / "cluster.conf").read_text(encoding="utf-8")
    assert "EnvironmentFile=/etc/huize/cluster.env" in text
    assert (DEPLOY / "systemd" / f"{unit}.service").exists()  # it overrides a unit we ship


def test_the_rasa_drop_in_runs_the_cluster_endpoints_on_the_lan_address():
    text = (DEPLOY / "cluster" / "huize-rasa.service.d" / "cluster.conf").read_text(encoding="utf-8")
    starts = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    assert starts[0] == "ExecStart="  # clears the embedded command first
    command = starts[1]
    assert "--endpoints ${HUIZE_ENDPOINTS}" in command and "--interface ${LISTEN_ADDRESS}" in command
    assert "-m bot.tools.rasa_run" in command  # the token from the environment, workers tied to it


@pytest.mark.servers
def test_nginx_accepts_the_rendered_balancer(tmp_path):
    try:
        program = cluster.ensure_servers()["nginx"]
    except cluster.Unavailable as why:
        pytest.skip(f"no nginx: {why}")
    site = cluster.render_nginx(
        rasa=["10.0.0.11:5005", "10.0.0.12:5005"],
        actions=["10.0.0.11:5055", "10.0.0.12:5055"],
        rasa_listen="127.0.0.1:15005",
        actions_listen="127.0.0.1:15055",
    )
    assert "@" not in site
    assert site.count("server 10.0.0.1") == 4 and "max_fails=1 fail_timeout=10s" in site
    (tmp_path / "huize.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{ include {tmp_path}/huize.conf; }}\n",
        encoding="utf-8",
    )
    checked = subprocess.run(
        [program, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_the_command_line_prints_the_same_file(capsys):
    assert cluster.main(["nginx-conf", "--rasa", "a:1,b:2", "--actions", "c:3", "--listen", "10.0.0.10"]) == 0
    assert capsys.readouterr().out == cluster.render_nginx(
        ["a:1", "b:2"], ["c:3"], "10.0.0.10:5005", "10.0.0.10:5055"
    )

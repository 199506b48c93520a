"""What ships: the product package alone, with the sandbox beside it and never inside it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from app.cli import GRACEFUL_SHUTDOWN_SECONDS

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(package: str) -> dict[str, set[str]]:
    """Top-level names each module of `package` imports, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_the_sandbox_imports_nothing_from_the_product() -> None:
    offenders = [path for path, names in _imported_modules("sandbox").items() if "app" in names]
    assert offenders == []


def test_the_product_never_imports_the_sandbox_or_the_tests() -> None:
    offenders = [path for path, names in _imported_modules("app").items() if names & {"sandbox", "tests", "bench"}]
    assert offenders == []


def test_the_document_worker_loads_only_the_parsers_never_the_server_or_its_secrets() -> None:
    imported: set[str] = set()
    for path in (ROOT / "app" / "documents").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names if alias.name.startswith("app"))
    assert imported and all(name.startswith("app.documents") for name in imported), imported


def test_the_wheel_holds_the_product_package_only_and_says_where_the_sandbox_is(tmp_path: Path) -> None:
    build = ["uv", "build", "--wheel", "--out-dir", str(tmp_path), "--quiet"]
    subprocess.run(build, cwd=ROOT, check=True, timeout=120)
    (wheel,) = tmp_path.glob("switchboard-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert "app" in tops and "sandbox" not in tops and "tests" not in tops
    assert {top for top in tops if top != "app"} == {next(t for t in tops if t.endswith(".dist-info"))}

    # Run from the wheel's files alone, outside the checkout, the sandbox commands explain themselves.
    # (`-S` skips site-packages, and with it the checkout's editable path; the dependencies come from
    # the environment's site-packages by path, the product package only from the wheel.)
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    dependencies = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p, "starlette").is_dir())
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": f"{unpacked}{os.pathsep}{dependencies}"}
    for command in (["sandbox"], ["serve", "--sandbox"]):
        ran = subprocess.run(
            [sys.executable, "-S", "-m", "app.cli", *command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode != 0 and "Traceback" not in ran.stderr, ran.stderr
        assert "not part of the installed package" in ran.stderr and "from a checkout" in ran.stderr


def test_the_container_copies_the_product_and_installs_no_test_or_sandbox_dependencies() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copies = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ") and "--from" not in line]
    assert "app" in copies and not any(source.startswith(("sandbox", "tests", ".")) for source in copies)
    syncs = [line for line in dockerfile.splitlines() if "uv sync" in line]
    assert syncs and all("--no-default-groups" in line for line in syncs)
    assert "sandbox" in (ROOT / ".dockerignore").read_text().split()


def test_the_benchmarks_import_nothing_from_the_tests() -> None:
    offenders = [path for path, names in _imported_modules("bench").items() if "tests" in names]
    assert offenders == []


def test_the_image_declares_no_volume_and_execs_the_server_so_sigterm_reaches_it() -> None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    instructions = [line.split(maxsplit=1) for line in lines if line.strip() and not line[0].isspace()]
    names = [parts[0] for parts in instructions if not parts[0].startswith("#")]
    assert "VOLUME" not in names  # Railway refuses it; persistence is a Railway Volume at /data
    entrypoint = next(parts[1] for parts in instructions if parts[0] == "ENTRYPOINT")
    command = next(parts[1] for parts in instructions if parts[0] == "CMD")
    assert json.loads(entrypoint) == ["switchboard-entrypoint"] and json.loads(command)[:2] == ["switchboard", "serve"]
    script = (ROOT / "docker" / "entrypoint.sh").read_text()
    assert 'exec setpriv --reuid="$APP_USER"' in script and 'exec "$@"' in script


def test_railway_drains_for_at_least_the_servers_graceful_shutdown() -> None:
    deploy = json.loads((ROOT / "railway.json").read_text())["deploy"]
    assert type(deploy["drainingSeconds"]) is int  # Railway's parser refuses a string
    assert deploy["drainingSeconds"] >= GRACEFUL_SHUTDOWN_SECONDS

"""How LANBoard is installed and run: tools/test.sh and its virtualenv, the README's run
command through pipx, the container image, the systemd unit and the workflows."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import attach

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.timeout(300)


# ---- tools/test.sh, with every program it calls replaced by a recording fake ---------------

#: Real programs the script uses besides bash builtins.
REAL_TOOLS = ("bash", "dirname", "cat", "awk", "sha256sum", "cut", "grep", "mkdir", "chmod",
              "env", "cp")  # cp: the fakes use it

#: The programs tools/test.sh looks for, and the package each comes from.
SYSTEM_PROGRAMS = {"chromium": "chromium", "zbarimg": "zbar-tools", "ip": "iproute2",
                   "node": "nodejs", "npm": "npm", "objdump": "binutils",
                   "pdftotext": "poppler-utils", "redis-server": "redis-server", "pipx": "pipx"}

FAKE_VENV_PYTHON = """#!/bin/bash
# A venv's python: records every call; pip and pytest only say they ran.
echo "$0 $*" >> "$FAKE_LOG"
case "$*" in
  "-c ") exit 0 ;;
  *"print(sys.version)"*) echo "3.99.0 (fake)" ;;
  "-m pip "*) echo "Requirement already satisfied: tornado"; echo "Successfully installed x" ;;
  "-m pytest "*) echo "1 passed" ;;
esac
"""

FAKE_PYTHON3 = """#!/bin/bash
# The system's python3: records every call; makes a fake venv; no ensurepip when asked.
echo "$0 $*" >> "$FAKE_LOG"
case "$*" in
  *"import ensurepip"*) exit "${FAKE_NO_ENSUREPIP:-0}" ;;
  *"sys.version_info"*) exit 0 ;;
  *"print(sys.executable)"*) echo /usr/bin/python3 ;;
  "-m venv --clear .venv")
    mkdir -p .venv/bin && cp "$FAKE_VENV_PYTHON" .venv/bin/python && chmod +x .venv/bin/python ;;
  *) exit 97 ;;
esac
"""


class Harness:
    """A checkout holding tools/test.sh and pyproject.toml, run with only fakes on PATH."""

    def __init__(self, tmp: Path) -> None:
        self.checkout = tmp / "checkout"
        (self.checkout / "tools").mkdir(parents=True)
        shutil.copy(ROOT / "tools" / "test.sh", self.checkout / "tools" / "test.sh")
        shutil.copy(ROOT / "pyproject.toml", self.checkout / "pyproject.toml")
        self.bin = tmp / "bin"
        self.bin.mkdir()
        for tool in REAL_TOOLS:
            real = shutil.which(tool)
            assert real, tool
            (self.bin / tool).symlink_to(real)
        self.log = tmp / "calls.log"
        self.venv_python = tmp / "venv-python"
        self.write("venv-python", FAKE_VENV_PYTHON, at=tmp)
        self.write("python3", FAKE_PYTHON3)
        self.write("apt-get", '#!/bin/bash\necho "apt-get $*" >> "$FAKE_LOG"\n')
        self.write("id", '#!/bin/bash\necho "${FAKE_UID:-0}"\n')

    def write(self, name: str, text: str, at: Path | None = None) -> Path:
        path = (at or self.bin) / name
        path.write_text(text)
        path.chmod(0o755)
        return path

    def have(self, *programs: str) -> None:
        for name in programs:
            self.write(name, "#!/bin/bash\nexit 0\n")

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        full = {"PATH": str(self.bin), "FAKE_LOG": str(self.log), "CI": "true",
                "FAKE_VENV_PYTHON": str(self.venv_python), "HOME": str(self.checkout), **env}
        return subprocess.run([str(self.bin / "bash"), "tools/test.sh", *args],
                              cwd=self.checkout, env=full, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)

    def calls(self) -> list[str]:
        """Each call as "program args"; programs in the checkout by their relative path (bash
        names an exec'd one by its full path)."""
        return self.log.read_text().replace(f"{self.checkout}/", "").splitlines()


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def test_test_sh_on_a_fresh_debian_as_root_installs_everything_into_its_own_venv(harness):
    out = harness.run("-q", "tests/test_cli.py", FAKE_NO_ENSUREPIP="1")
    assert out.returncode == 0, out.stdout + out.stderr
    calls = harness.calls()
    apt = [c for c in calls if c.startswith("apt-get install")]
    assert len(apt) == 1
    assert set(apt[0].split()[5:]) == {*SYSTEM_PROGRAMS.values(), "python3-venv"}
    assert "apt-get install -y -qq --no-install-recommends" in apt[0]
    venv_python = str(harness.checkout / ".venv" / "bin" / "python")
    python3 = str(harness.bin / "python3")
    assert f"{python3} -m venv --clear .venv" in calls
    # The system python3 is never asked to install anything.
    assert not [c for c in calls if c.startswith(python3) and " pip " in c]
    pip = [c for c in calls if " -m pip " in c]
    assert pip == [".venv/bin/python -m pip install --disable-pip-version-check --no-input "
                   "--progress-bar off -e .[test,build]"], calls
    assert calls[-1] == ".venv/bin/python -m pytest -n 2 --dist loadfile -q tests/test_cli.py"
    assert "installing LANBoard and its test and build dependencies into .venv" in out.stdout
    assert "Requirement already satisfied" not in out.stdout
    assert out.stdout.rstrip().endswith("1 passed")
    assert (harness.checkout / ".venv" / ".lanboard-deps").is_file()
    assert os.path.exists(venv_python)


def test_test_sh_reuses_the_venv_until_the_dependencies_change(harness):
    harness.have(*SYSTEM_PROGRAMS)
    assert harness.run().returncode == 0
    assert any(" -m pip install" in c for c in harness.calls())

    again = harness.run("-x")
    assert again.returncode == 0
    assert "dependencies up to date in .venv" in again.stdout
    assert harness.calls() == [".venv/bin/python -c ",
                               ".venv/bin/python -c import sys; print(sys.version)",
                               ".venv/bin/python -m pytest -n 2 --dist loadfile -x"]

    pyproject = harness.checkout / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace("line-length = 100", "line-length = 99"))
    assert harness.run().returncode == 0
    assert not any(" -m pip " in c for c in harness.calls()), "tool settings are no dependency"

    pyproject.write_text(text.replace('"ifaddr>=0.2"', '"ifaddr>=0.2.1"'))
    changed = harness.run()
    assert changed.returncode == 0
    assert any(" -m pip install" in c for c in harness.calls())
    assert "installing LANBoard" in changed.stdout


def test_test_sh_as_a_user_names_the_missing_programs_and_installs_none(harness):
    harness.have("chromium", "ip", "node", "npm", "objdump", "pdftotext", "redis-server")
    out = harness.run(FAKE_UID="1000")
    assert out.returncode == 0, out.stderr
    assert not [c for c in harness.calls() if c.startswith("apt-get")]
    assert "not installed: zbar-tools pipx" in out.stderr


def test_test_sh_inside_an_activated_venv_uses_that_venv(harness, tmp_path):
    harness.have(*SYSTEM_PROGRAMS)
    active = tmp_path / "active"
    (active / "bin").mkdir(parents=True)
    shutil.copy(harness.venv_python, active / "bin" / "python")
    out = harness.run("-q", VIRTUAL_ENV=str(active))
    assert out.returncode == 0, out.stderr
    assert not (harness.checkout / ".venv").exists()
    assert harness.calls()[-1] == f"{active}/bin/python -m pytest -n 2 --dist loadfile -q"
    assert (active / ".lanboard-deps").is_file()


def test_test_sh_rebuilds_a_broken_venv_of_its_own(harness):
    harness.have(*SYSTEM_PROGRAMS)
    broken = harness.checkout / ".venv" / "bin"
    broken.mkdir(parents=True)
    harness.write("python", "#!/bin/bash\nexit 1\n", at=broken)  # its Python went away
    out = harness.run()
    assert out.returncode == 0, out.stderr
    assert f"{harness.bin}/python3 -m venv --clear .venv" in harness.calls()


def test_the_checkouts_venv_is_ignored_by_git():
    for path in (".venv/", ".venv/bin/python"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0


# ---- the README's commands --------------------------------------------------------------------


def readme_commands() -> list[str]:
    """The shell blocks of the README's "Two commands" section, in order."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_the_readme_starts_with_clone_then_the_run_and_the_test_commands():
    clone, run, tests = readme_commands()
    assert clone.startswith("git clone ") and clone.endswith("&& cd lanboard")
    assert run.startswith("pipx install . && ")
    assert tests == "bash tools/test.sh"
    readme = (ROOT / "README.md").read_text()
    assert "apt install pipx" in readme and "pipx ensurepath" in readme


@pytest.mark.slow
def test_the_readme_run_command_installs_with_pipx_and_serves(tmp_path):
    """The command a newcomer types, with pipx's own Python (Debian's /usr/bin/python3 when
    pipx comes from apt) and a home folder of its own."""
    if shutil.which("pipx") is None:
        pytest.skip("pipx is not installed (tools/test.sh installs it as root)")
    run = readme_commands()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPX_", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    args = f"--headless --no-mdns --host 127.0.0.1 --port 0 --data-dir {tmp_path / 'data'}"
    proc = subprocess.Popen(["bash", "-c", f"{run} {args}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    server = attach(proc, output, timeout=280)
    if server is None:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
        if any("Could not find a version" in line for line in output):
            pytest.skip("the package index cannot be reached")
        raise AssertionError("".join(output))
    try:
        import urllib.request

        with urllib.request.urlopen(server.url + "/room/pipx", timeout=5) as resp:
            assert resp.status == 200
        installed = tmp_path / "home" / ".local" / "bin" / "lanboard"
        assert installed.exists()
        assert "/.local/" in installed.resolve().read_text().splitlines()[0]  # its own venv
    finally:
        assert server.stop() == 0


# ---- the Dockerfile ---------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = dockerfile()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in final_stage():
        if word == "ENV":
            env.update(re.findall(r"(\w+)=(\S+)", rest))
    return env


def healthcheck_command() -> list[str]:
    import json

    (rest,) = [rest for word, rest in final_stage() if word == "HEALTHCHECK"]
    command: list[str] = json.loads(rest.split(" CMD ", 1)[1])
    return command


def test_the_image_runs_headless_as_a_numeric_non_root_user_with_data_on_a_volume():
    stage = final_stage()
    words = [word for word, _ in stage]
    env = image_env()
    (user,) = [rest for word, rest in stage if word == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000
    assert words.index("USER") < words.index("ENTRYPOINT")
    (volume,) = [rest for word, rest in stage if word == "VOLUME"]
    assert env["LANBOARD_DATA_DIR"] in volume
    assert env["LANBOARD_HEADLESS"] == "1" and env["LANBOARD_HOST"] == "0.0.0.0"
    assert ("EXPOSE", env["LANBOARD_PORT"]) in stage
    assert ("ENTRYPOINT", '["lanboard"]') in stage
    assert any("/api/health" in part for part in healthcheck_command())
    # The user that owns the volume is the one the server runs as.
    assert any(f"--uid {uid}" in rest and "chown" in rest for word, rest in stage if word == "RUN")
    text = (ROOT / "Dockerfile").read_text()
    assert "--network host" in text and "mDNS needs the host's network" in text


def dockerignore_allows(path: str) -> bool:
    """Docker's rule: the last pattern that matches a path, or one of its parents, decides."""
    import fnmatch

    allowed = True
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        keep = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/").replace("**/", "")
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p.split("/")[-1], pattern)
               for p in prefixes):
            allowed = keep
    return allowed


def test_every_file_the_dockerfile_copies_exists_and_is_in_the_build_context():
    sources = []
    for word, rest in dockerfile():
        if word == "COPY" and "--from" not in rest:
            sources += rest.split()[:-1]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert dockerignore_allows(source.rstrip("/")), source
    for kept_out in (".git", ".venv", "tests", "test-artifacts", "benchmarks"):
        assert not dockerignore_allows(kept_out), kept_out
    # The wheel needs these, and pyproject's force-include reads static/ and icons/.
    for needed in ("pyproject.toml", "README.md", "LICENSE", "lanboard", "static", "icons"):
        assert needed in [s.rstrip("/") for s in sources], needed


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (the test extra has it on Linux x86_64/arm64)")
    out = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_the_images_healthcheck_command_passes_on_a_serving_lanboard_and_fails_without(
        tmp_path):
    """The container's own start (its ENTRYPOINT with its ENV, on a free port and a temp
    data directory) and its HEALTHCHECK, run here without a container."""
    command = healthcheck_command()
    assert command[0] == "python"
    port = free_port()
    # Loopback, not the image's 0.0.0.0: run outside a container, that would serve on this
    # machine's real network while the test runs.
    env = {**os.environ, **image_env(), "LANBOARD_PORT": str(port),
           "LANBOARD_DATA_DIR": str(tmp_path / "data"), "LANBOARD_NO_MDNS": "1",
           "LANBOARD_HOST": "127.0.0.1"}
    check = [sys.executable, *command[1:]]
    assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode != 0
    proc = subprocess.Popen([sys.executable, "-m", "lanboard"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output: list[str] = []
    server = attach(proc, output)
    assert server is not None, output
    try:
        assert server.port == port
        assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 0
    finally:
        assert server.stop() == 0


def docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not docker_works(), reason="no container engine answers (docker info)")
def test_the_image_builds_runs_as_its_user_and_turns_healthy(tmp_path):
    tag = "lanboard-test:latest"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=600)
    name = f"lanboard-test-{os.getpid()}"
    subprocess.run(["docker", "run", "-d", "--name", name, tag], check=True, timeout=60)
    try:
        uid = subprocess.run(["docker", "exec", name, "id", "-u"], capture_output=True,
                             text=True, check=True).stdout.strip()
        assert uid == "10001"
        health = subprocess.run(["docker", "exec", name, *healthcheck_command()], timeout=60)
        assert health.returncode == 0
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


# ---- the systemd unit -------------------------------------------------------------------------

UNIT = ROOT / "docs" / "lanboard.service"


def unit_directives() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_the_unit_runs_as_its_own_user_hardened_and_restarting():
    d = unit_directives()
    assert d.get("DynamicUser") == ["yes"] or d.get("User")
    assert d["StateDirectory"] == ["lanboard"]
    assert d["Environment"] == ["LANBOARD_DATA_DIR=/var/lib/lanboard"]
    assert int(d["LimitNOFILE"][0]) >= 4096
    assert d["Restart"][0] in ("on-failure", "always")
    assert d["RestartPreventExitStatus"] == ["2"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "ProtectHome": "yes", "PrivateTmp": "yes"}.items():
        assert d[key] == [value], key
    assert "--headless" in d["ExecStart"][0]


def test_systemd_analyze_verify_finds_nothing_to_say(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    # verify checks that ExecStart's program exists: point it at one that does.
    program = shutil.which("lanboard") or str(Path(sys.executable).parent / "lanboard")
    assert Path(program).exists()
    unit = tmp_path / "lanboard.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/lanboard", program))
    out = subprocess.run([analyze, "verify", "--man=no", str(unit)], capture_output=True,
                         text=True, timeout=60)
    # verify exits 0 even for an unknown key or a bad value; those come out as warnings.
    assert (out.returncode, out.stdout + out.stderr) == (0, "")


def test_systemd_analyze_verify_does_complain_about_a_broken_unit(tmp_path):
    """The check above can fail: a misspelt directive and a bad value are reported."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    unit = tmp_path / "lanboard.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/lanboard", sys.executable)
                    .replace("ProtectHome=yes", "ProtectHome=sometimes\nProtectHomes=yes"))
    out = subprocess.run([analyze, "verify", "--man=no", str(unit)], capture_output=True,
                         text=True, timeout=60)
    assert "ProtectHomes" in out.stderr and "sometimes" in out.stderr


# ---- the workflows ----------------------------------------------------------------------------


def workflow(name: str) -> dict[str, object]:
    yaml = pytest.importorskip("yaml", reason="pip install pyyaml (in the test extra)")
    data: dict[str, object] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return data


def supported_pythons() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text()
    versions = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)
    oldest = re.search(r'requires-python = ">=(3\.\d+)"', text)
    assert oldest and versions and oldest.group(1) == versions[0]
    return versions


def test_ci_tests_the_oldest_and_the_newest_supported_python_through_ci_run():
    versions = supported_pythons()
    jobs = workflow("ci.yml")["jobs"]
    assert isinstance(jobs, dict)
    test = jobs["test"]
    assert test["strategy"]["matrix"]["python"] == [versions[0], versions[-1]]
    assert test["container"]["image"] == "python:${{ matrix.python }}-bookworm"
    assert {"run": "bash .ci/run"}.items() <= next(
        s for s in test["steps"] if s.get("run") == "bash .ci/run").items()


def test_release_publishes_to_pypi_with_trusted_publishing_and_builds_every_binary():
    release = workflow("release.yml")
    assert release[True]["push"]["tags"] == ["v*"]  # type: ignore[index]  # YAML 1.1: on
    jobs = release["jobs"]
    assert isinstance(jobs, dict)
    pypi = jobs["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}
    assert pypi["environment"]["name"] == "pypi"
    assert any(s.get("uses", "").startswith("pypa/gh-action-pypi-publish@")
               for s in pypi["steps"])
    assert not any("password" in (s.get("with") or {}) for s in pypi["steps"])  # no token
    assert set(pypi["needs"]) == {"python-package", "binaries", "image"}
    assets = {m["asset"]: m["os"] for m in jobs["binaries"]["strategy"]["matrix"]["include"]}
    assert assets["lanboard-linux-arm64"].endswith("-arm")  # built on an arm64 runner
    assert set(assets) == {"lanboard-linux-x86_64", "lanboard-linux-arm64",
                           "lanboard-macos-arm64", "lanboard-windows-x86_64.exe"}
    pushes = [s for s in jobs["image"]["steps"] if (s.get("with") or {}).get("push")]
    assert pushes and pushes[0]["with"]["platforms"] == "linux/amd64,linux/arm64"
    build = "\n".join(s.get("run", "") for s in jobs["python-package"]["steps"])
    assert "python -m build" in build and "twine check --strict" in build


def test_ci_run_calls_the_readme_test_command():
    text = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec bash tools/test\.sh\b", text, re.M)

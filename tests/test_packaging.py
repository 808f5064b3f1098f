"""Packaging facts that a fresh clone depends on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

import wxpay_lesson

ROOT = Path(__file__).resolve().parent.parent


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0].lower()


def pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {requirement_name(spec) for spec in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {requirement_name(spec) for spec in extra}
    return names


def dependency_lines() -> list[str]:
    lines = (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    return lines[lines.index("dependencies:") + 1:]


def environment_packages() -> set[str]:
    names = set()
    for line in dependency_lines():
        match = re.match(r"\s*-\s+([A-Za-z0-9_.\-]+)", line)
        if match and not line.strip().startswith("- pip:"):
            names.add(requirement_name(match.group(1)))
    return names - {"python", "pip"}


def test_environment_yml_names_same_packages_as_pyproject() -> None:
    assert environment_packages() == pyproject_packages()


def test_every_environment_line_is_commented() -> None:
    for line in dependency_lines():
        if re.match(r"\s*-\s+[A-Za-z]", line) and "pip:" not in line and line.strip() != "- pip":
            assert "#" in line, f"environment.yml line has no comment saying why: {line!r}"


def test_public_api_is_exported() -> None:
    for name in wxpay_lesson.__all__:
        assert hasattr(wxpay_lesson, name), name
    assert re.fullmatch(r"\d+\.\d+\.\d+", wxpay_lesson.__version__)
    assert (Path(wxpay_lesson.__file__).parent / "py.typed").exists()


def test_readme_has_exactly_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^```(?:sh|bash|shell)\n(.*?)```", readme, flags=re.S | re.M)
    lines = [line for block in commands for line in block.strip().splitlines() if not line.startswith("#")]
    assert lines == ["make lab", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", script, flags=re.M)


def test_chinese_readme_has_the_same_commands() -> None:
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    chinese = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    pattern = r"^```(?:sh|bash|shell)\n(.*?)```"
    assert re.findall(pattern, chinese, flags=re.S | re.M) == re.findall(pattern, english, flags=re.S | re.M)


def test_module_runs_as_command() -> None:
    result = subprocess.run([sys.executable, "-m", "wxpay_lesson", "--version"], capture_output=True, text=True,
                            check=False, cwd=ROOT)
    assert result.returncode == 0
    assert wxpay_lesson.__version__ in result.stdout


def test_api_v3_key_file_matches_manifest() -> None:
    from wxpay_lesson import load_test_keys

    key_file = ROOT / "data" / "test-keys" / "api_v3_key.txt"
    assert key_file.read_bytes() == load_test_keys().api_v3_key.encode("ascii")

"""Dependencies run one way: leaves know nothing of the market, core knows nothing of anyone."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = {"core", "customers", "haulers", "billing", "sensors", "marketplace"}
ALLOWED = {
    "core": {"core"},
    "customers": {"core", "customers"},
    "haulers": {"core", "haulers"},
    "billing": {"core", "billing"},
    "sensors": {"core", "sensors"},
}


def imported_modules(path: Path) -> set[str]:
    """The top-level names a file imports (absolute imports only)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        found |= imported_modules(path)
    return found & PROJECT_PACKAGES


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package):
    assert imported_packages(package) <= ALLOWED[package]


def test_only_the_gateway_imports_stripe():
    importers = [
        str(path.relative_to(ROOT))
        for package in PROJECT_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "stripe" in imported_modules(path)
    ]
    assert importers == ["billing/stripe_gateway.py"]

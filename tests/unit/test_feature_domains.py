"""Every feature's domain (`bot/<feature>/`) stays free of the Teams and HTTP glue and of the timer, the platform
never imports a feature's domain, no feature's domain imports another's, and a domain's store is its own: the
feature's dialogs call its service, never `service.store`. The domains are found from the feature list
(`dialogs.FEATURES`), so a new feature is checked without anyone naming it here."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import grimp

from dialogs import FEATURES

ROOT = Path(__file__).resolve().parents[2]


def _domain(name: str) -> str | None:
    """`bot.<feature>` when it is a package (a feature's domain); `bot.audit`, a platform module, is not one."""
    spec = importlib.util.find_spec(f"bot.{name}")
    return spec.name if spec is not None and spec.submodule_search_locations is not None else None


DOMAINS = tuple(domain for feature in FEATURES if (domain := _domain(feature.name)))
GLUE = ("botbuilder", "botframework", "aiohttp", "apscheduler")
WIRING = ("bot.timed", "bot.application", "bot.handler", "bot.adapter", "dialogs", "cards")

PROBE = """
import importlib, pkgutil, sys
import {domain} as package
names = [info.name for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
glue = sorted(
    m for m in sys.modules if m.split(".")[0] in {{"botbuilder", "aiohttp", "apscheduler"}} or m.startswith("bot.timed")
)
print(len(names), ",".join(glue))
"""


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("bot", "dialogs", "cards", include_external_packages=True)


def test_the_feature_list_has_domains_to_check() -> None:
    assert {"bot.polls", "bot.nudges", "bot.tips", "bot.ideas"} <= set(DOMAINS)


def test_domain_modules_load_neither_botbuilder_nor_aiohttp() -> None:
    for domain in DOMAINS:
        result = subprocess.run(
            [sys.executable, "-c", PROBE.format(domain=domain)], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        count, _, glue = result.stdout.strip().partition(" ")
        assert int(count) >= 4, domain  # the probe really imported the package's modules
        assert glue == "", f"{domain} loads {glue}"


def test_domains_import_no_glue_nor_wiring_even_indirectly() -> None:
    graph = _graph()
    for domain in DOMAINS:
        for forbidden in GLUE + WIRING:
            if forbidden in graph.modules:
                chains = graph.find_shortest_chains(importer=domain, imported=forbidden, as_packages=True)
                assert not chains, f"{domain} reaches {forbidden}: {sorted(chains)[0]}"


def test_the_platform_imports_no_domain_and_no_domain_imports_another() -> None:
    graph = _graph()
    for domain in DOMAINS:
        outsiders = sorted(
            module
            for module in graph.find_descendants("bot")
            if not (module == domain or module.startswith(domain + "."))
            and graph.direct_import_exists(importer=module, imported=domain, as_packages=True)
        )
        assert not outsiders, f"{domain} is imported by {outsiders}"


def test_a_domains_store_is_imported_by_its_own_domain_only() -> None:
    """Dialogs and cards use the service and the model: rules added to a service can't be gone around."""
    graph = _graph()
    stores = [f"{domain}.store" for domain in DOMAINS if f"{domain}.store" in graph.modules]
    assert {"bot.polls.store", "bot.ideas.store"} <= set(stores)
    for store in stores:
        domain = store.removesuffix(".store")
        outsiders = sorted(
            module for module in graph.find_modules_that_directly_import(store) if not module.startswith(domain + ".")
        )
        assert not outsiders, f"{store} is imported by {outsiders}"


def test_dialogs_reach_no_store_attribute() -> None:
    """`self.service.store.get(...)` (or any alias of a store) in a feature's dialogs: they ask the service."""
    files = sorted((ROOT / "dialogs").rglob("*.py"))
    assert len(files) >= 10
    found = sorted(
        (str(path.relative_to(ROOT)), node.lineno, node.attr)
        for path in files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in ("store", "_store")
    )
    assert not found, "\n".join(f"{path}:{line}: .{attr}" for path, line, attr in found)

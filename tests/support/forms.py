"""Every form class of QPA, found by walking its forms.py modules."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django import forms

import qpa


def form_classes() -> dict[str, type[forms.BaseForm]]:
    """Every form class defined in a forms.py module of QPA."""
    found: dict[str, type[forms.BaseForm]] = {}
    for module_info in pkgutil.walk_packages(qpa.__path__, prefix="qpa."):
        if not module_info.name.endswith(".forms"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
                and value.__name__ not in {"GovukForm", "GovukModelForm"}
            ):
                found[f"{module.__name__}.{name}"] = value
    return found

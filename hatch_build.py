"""Build hook: compile the translation catalogs, so an installed gaokao speaks Chinese
without the system's gettext tools."""

import importlib.util
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogs(BuildHookInterface):
    def initialize(self, version, build_data):
        path = Path(self.root) / "gaokao" / "i18n.py"
        spec = importlib.util.spec_from_file_location("gaokao_i18n", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.compile_catalogs()

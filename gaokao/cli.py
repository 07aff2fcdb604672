"""The `gaokao` command: Django's management commands and the project's own.

`gaokao load-preset hunan-2020` is `django-admin load_preset hunan-2020` with the settings
set; hyphens in a command name stand for underscores.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaokao.settings")
    argv = list(sys.argv)
    argv[0] = "gaokao"
    if len(argv) == 1 or argv[1:] in (["--help"], ["-h"], ["help"]):
        print_help()
        return
    if not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    if argv[1] == "client" and argv[2:3] != ["wheelhouse"]:
        client_mode_by_default()

    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def client_mode_by_default() -> None:
    """`gaokao client …` runs as the point client without GAOKAO_MODE in every window. Not
    where a database server is configured: that is a central server, where the commands
    go on refusing to run."""
    if "GAOKAO_MODE" not in os.environ and "DATABASE_URL" not in os.environ:
        os.environ["GAOKAO_MODE"] = "client"


def print_help() -> None:
    import django
    from django.core.management import get_commands, load_command_class

    django.setup()
    ours = sorted((name, app) for name, app in get_commands().items() if app.startswith("gaokao."))
    print("usage: gaokao COMMAND [options]    (gaokao COMMAND --help for a command's options)\n")
    print("The project's commands:")
    width = max(len(name) for name, _ in ours) + 2
    for name, app in ours:
        description = load_command_class(app, name).help.strip().splitlines()[0]
        print(f"  {name.replace('_', '-'):<{width}}{description}")
    print("\nDjango's commands work too, e.g. migrate, runserver, createsuperuser, check, shell;")
    print("`gaokao help --commands` lists them all.")

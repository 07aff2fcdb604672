from __future__ import annotations

import getpass
import socket

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gaokao.privacy import crypto, keys, services


class Command(BaseCommand):
    help = (
        "ID numbers at rest: show which key encrypts how many values (status), make a new"
        " data or index key (new-key), re-encrypt with the current key or recompute the blind"
        " index after a key change (rotate). See docs/security.md."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{status,new-key,rotate}"
        )
        actions.add_parser("status", help="the keys in force and the values on each")
        new = actions.add_parser("new-key", help="a new current data key (or index key)")
        new.add_argument("--index", action="store_true", help="a new blind-index key instead")
        rotate = actions.add_parser(
            "rotate", help="re-encrypt every value not on the current data key"
        )
        rotate.add_argument(
            "--reindex", action="store_true", help="recompute the blind index instead"
        )
        rotate.add_argument("--batch", type=int, default=services.BATCH, help="rows per batch")

    def handle(self, action, **options):
        try:
            if action == "status":
                self.status()
            elif action == "new-key":
                self.new_key(options["index"])
            else:
                self.rotate(options["reindex"], options["batch"])
        except crypto.DecryptionError as e:
            raise CommandError(str(e)) from e

    def status(self):
        found = keys.get_keys()
        self.stdout.write(_("Keys from: %(source)s") % {"source": found.source})
        self.stdout.write(
            _("Current data key: %(key)s; older keys still read: %(older)s")
            % {"key": found.current[0], "older": ", ".join(k for k, _v in found.data[1:]) or "—"}
        )
        if found.old_index:
            self.stdout.write(
                _("An old index key is set: a re-index is under way (rotate --reindex).")
            )
        for column in services.status():
            self.stdout.write(
                _("%(column)s: %(rows)d values, %(current)d on the current key, %(left)d to rotate")
                % {
                    "column": column.column,
                    "rows": column.rows,
                    "current": column.on_current_key,
                    "left": column.to_rotate,
                }
            )

    def new_key(self, index: bool):
        found = keys.get_keys()
        secret = keys.new_key()
        if not keys.uses_keys_file():
            self._configured_new_key(found, secret, index)
            return
        path = keys.keys_file()
        if index:
            if found.old_index:
                raise CommandError(
                    _("A re-index is still under way: run `gaokao privacy rotate --reindex` first.")
                )
            keys.write_keys_file(path, keys.Keys(found.data, index=secret, old_index=found.index))
            self.stdout.write(
                _(
                    "New index key written to %(path)s. Run `gaokao privacy rotate --reindex`"
                    " now: until it ends, look-ups try the old key too."
                )
                % {"path": path}
            )
            return
        key_id = keys.new_key_id([k for k, _v in found.data])
        keys.write_keys_file(
            path, keys.Keys(((key_id, secret), *found.data), found.index, found.old_index)
        )
        self.stdout.write(
            _(
                "New data key %(key)s written to %(path)s: new values are encrypted with it."
                " Run `gaokao privacy rotate` to re-encrypt the others; keep the old keys as"
                " long as a backup made before may have to be restored."
            )
            % {"key": key_id, "path": path}
        )

    def _configured_new_key(self, found: keys.Keys, secret: bytes, index: bool):
        if index:
            self.stdout.write(
                _(
                    "New index key: %(key)s\nSet %(old)s to the present %(var)s and %(var)s to"
                    " the new key on every app server, restart them, run `gaokao privacy rotate"
                    " --reindex`, then remove %(old)s and restart again."
                )
                % {
                    "key": keys.encoded(secret),
                    "var": keys.INDEX_KEY_VAR,
                    "old": keys.OLD_INDEX_KEY_VAR,
                }
            )
            return
        key_id = keys.new_key_id([k for k, _v in found.data])
        entry = keys.format_data_keys([(key_id, secret)])
        self.stdout.write(
            _(
                "New data key: %(entry)s\nPut it first in %(var)s on every app server, keeping the"
                " others after it, restart them, then run `gaokao privacy rotate`."
            )
            % {"entry": entry, "var": keys.DATA_KEYS_VAR}
        )

    def rotate(self, reindex: bool, batch: int):
        if batch < 1:
            raise CommandError(_("--batch must be at least 1."))
        by = f"{getpass.getuser()}@{socket.gethostname()}"

        def progress(column: str, done: int, total: int) -> None:
            self.stdout.write(
                _("%(column)s: %(done)d of %(total)d")
                % {"column": column, "done": done, "total": total}
            )

        if reindex:
            report = services.reindex(by=by, batch=batch, progress=progress)
            self.stdout.write(
                _("Blind index recomputed: %(n)d rows changed.")
                % {"n": sum(report.reindexed.values())}
            )
            found = keys.get_keys()
            if found.old_index and keys.uses_keys_file():
                keys.write_keys_file(keys.keys_file(), keys.Keys(found.data, found.index))
                self.stdout.write(_("The old index key is removed from the key file."))
            elif found.old_index:
                self.stdout.write(
                    _("Now remove %(old)s on every app server and restart them.")
                    % {"old": keys.OLD_INDEX_KEY_VAR}
                )
            return
        report = services.rotate(by=by, batch=batch, progress=progress)
        self.stdout.write(
            _("Done: %(n)d values re-encrypted with the key %(key)s.")
            % {"n": sum(report.rotated.values()), "key": report.key_id}
        )

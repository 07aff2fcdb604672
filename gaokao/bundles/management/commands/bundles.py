from django.core.management.base import BaseCommand

from gaokao.bundles.format import server_key_path, server_public_key_b64
from gaokao.bundles.services import purge_expired


class Command(BaseCommand):
    help = (
        "Disc bundles (E5): print the server's public key that point clients encrypt bundles"
        " for (public-key; made on first use), delete checked files left unconfirmed for a"
        " day (purge; run daily)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{public-key,purge}")
        actions.add_parser("public-key", help="Base64 of the server's X25519 public key")
        actions.add_parser("purge", help="run daily (cron / systemd timer)")

    def handle(self, action, **options):
        if action == "public-key":
            self.stdout.write(server_public_key_b64())
            self.stderr.write(f"(private key: {server_key_path()}; back it up with the database)")
        else:
            self.stdout.write(f"held files deleted: {purge_expired()}")

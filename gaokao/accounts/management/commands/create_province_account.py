import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gaokao.accounts.models import Role, StaffUser
from gaokao.lib.idnumber import InvalidIdNumber, parse_resident_id
from gaokao.regions.models import Region


class Command(BaseCommand):
    help = "Create the first province account (it may enter the configuration screens)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--province", default="430000", help="GB/T 2260 code of the province")
        parser.add_argument("--real-name", required=True, help="the person's name")
        parser.add_argument("--id-number", required=True, help="the person's resident ID number")
        parser.add_argument("--mobile", default="", help="the person's mobile number")

    def handle(self, username, province, real_name, id_number, mobile, **options):
        region = Region.objects.filter(code=province, level=Region.Level.PROVINCE).first()
        if region is None:
            raise CommandError(
                f"no province {province}; load a preset first (gaokao load-preset …)"
            )
        if StaffUser.objects.filter(username=username).exists():
            raise CommandError(f"the user name {username} is taken")
        try:
            id_number = parse_resident_id(id_number).number
        except InvalidIdNumber as e:
            raise CommandError(f"--id-number: {e.message}") from e
        user = StaffUser(
            username=username,
            role=Role.PROVINCE,
            region=region,
            real_name=real_name,
            id_number=id_number,
            mobile=mobile,
            is_staff=True,
            is_superuser=True,
        )
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the passwords differ")
        try:
            validate_password(password, user)
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from e
        user.set_password(password)
        user.save()
        self.stdout.write(self.style.SUCCESS(f"created {username} for {region}"))

"""Staff accounts: passwords, real-name ID numbers, the first province account."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from gaokao.accounts.models import Role, StaffUser
from gaokao.testing.factories import PASSWORD, ProvinceFactory, staff_for

pytestmark = pytest.mark.django_db


def test_s1_passwords_are_hashed_with_argon2id_at_the_chosen_cost(county_user):
    assert county_user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert county_user.check_password(PASSWORD)
    assert not county_user.check_password(PASSWORD.upper())


def test_s1_real_name_id_number_must_be_a_valid_resident_id(county):
    user = staff_for(county)
    user.id_number = "340524198001010013"  # wrong check digit
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "id_number" in excinfo.value.message_dict
    user.id_number = "34052419800101001X"
    user.full_clean()


def test_s1_first_province_account_is_created_from_the_command_line(monkeypatch, capsys):
    ProvinceFactory()
    monkeypatch.setattr("getpass.getpass", lambda prompt: "a long enough passphrase 42")
    call_command(
        "create_province_account",
        "sky-admin",
        "--real-name",
        "张三",
        "--id-number",
        "11010519491231002x",
    )
    user = StaffUser.objects.get(username="sky-admin")
    assert (user.role, user.region.code, user.real_name) == (Role.PROVINCE, "430000", "张三")
    assert user.id_number == "11010519491231002X" and user.needs_setup
    assert user.is_staff and user.check_password("a long enough passphrase 42")


def test_s1_province_account_command_refuses_weak_passwords_and_unknown_provinces(monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "123456")
    person = ["--real-name", "张三", "--id-number", "11010519491231002X"]
    with pytest.raises(CommandError, match="no province"):
        call_command("create_province_account", "sky-admin", *person)
    ProvinceFactory()
    with pytest.raises(CommandError):
        call_command("create_province_account", "sky-admin", *person)
    with pytest.raises(CommandError, match="--id-number"):
        call_command(
            "create_province_account", "sky-admin", "--real-name", "张三", "--id-number", "123"
        )
    assert not StaffUser.objects.filter(username="sky-admin").exists()

"""The CLI: seed-demo is idempotent and prints passwords once; load-postcodes; is-seeded."""

from sqlalchemy import func, select

from civic.accounts.models import User
from civic.db import db
from civic.groups.models import Group
from civic.spaces.models import PostcodeSector


def test_seed_demo_is_idempotent_and_prints_passwords_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["civic", "is-seeded"]).exit_code == 1
    first = runner.invoke(args=["civic", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "demo.admin@civic.example.org" in first.output
    users = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["civic", "seed-demo"])
    assert second.exit_code == 0
    assert "already loaded" in second.output and "demo.admin" not in second.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert db.session.scalar(select(func.count()).select_from(Group)) == 2
    admin = db.session.scalar(select(User).where(User.nickname == "demo_admin"))
    assert admin.is_admin and admin.email_confirmed
    assert runner.invoke(args=["civic", "is-seeded"]).exit_code == 0


def test_one_demo_account_per_role(app):
    app.test_cli_runner().invoke(args=["civic", "seed-demo", "--password", "demo password for all"])
    nicknames = set(db.session.scalars(select(User.nickname).where(User.nickname.like("demo_%"))))
    assert nicknames == {"demo_resident", "demo_verified", "demo_organiser", "demo_instructor", "demo_officer",
                         "demo_admin"}


def test_load_postcodes_from_a_file(app, tmp_path):
    path = tmp_path / "sectors.csv"
    path.write_text("sector,ward\nzz9 9,Maida Vale\n")
    result = app.test_cli_runner().invoke(args=["civic", "load-postcodes", str(path)])
    assert result.exit_code == 0, result.output
    sector = db.session.scalar(select(PostcodeSector).where(PostcodeSector.sector == "ZZ9 9"))
    assert sector is not None and sector.ward.name == "Maida Vale"
    path.write_text("sector,ward\nzz9 8,Atlantis\n")
    result = app.test_cli_runner().invoke(args=["civic", "load-postcodes", str(path)])
    assert result.exit_code != 0 and "no ward called 'Atlantis'" in result.output

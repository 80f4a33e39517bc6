"""The admin uploads the residents register as CSV: good rows kept (hashed), bad rows reported by line."""

import io
from datetime import date

from sqlalchemy import func, select, text

from civic.audit import AuditEntry
from civic.db import Base, db
from civic.verification import services
from civic.verification.models import RegisterEntry, RegisterUpload
from tests.verification.conftest import ward

GOOD_AND_BAD = (
    "\ufeffpostcode,date_of_birth,ward\n"        # 1: header with a BOM
    "W2 1AA,1985-03-27,Little Venice\n"          # 2: good
    "\n"                                         # 3: blank line, ignored
    "sw1p2ab,04/11/1972,vincent square\n"        # 4: good (lower case, no space, UK date, ward any case)
    "NOT A POSTCODE,1990-01-01,Marylebone\n"     # 5: bad postcode
    "W1U 1AB,1990-13-01,Marylebone\n"            # 6: bad date
    "W1U 1AB,1990-01-01,Soho\n"                  # 7: unknown ward
    "W1U 1AD,2999-01-01,Marylebone\n"            # 8: date in the future
    "W1U 1AE,1990-01-01\n"                       # 9: a column missing
    ",,\n"                                       # 10: empty cells: a blank line
    "W9 2LX,1960-07-15,Queen's Park\n"           # 11: good
    "W2 1AA,27/03/1985,Little Venice\n"          # 12: the same resident as line 2
)


def upload(client, body: str | bytes, filename: str = "register.csv"):
    data = body.encode() if isinstance(body, str) else body
    return client.post("/verify/register", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_good_rows_are_kept_and_bad_rows_reported_with_line_numbers(client_as):
    client, admin = client_as("admin")
    response = upload(client, GOOD_AND_BAD)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "3 residents added" in page
    assert "1 already in the register, skipped" in page
    assert "5 rows with problems, not added" in page
    for line, problem in [(5, "the postcode is not a UK postcode like W2 1AA"),
                          (6, "the date of birth is not a date like 1985-03-27 or 27/03/1985"),
                          (7, "unknown ward &#39;Soho&#39;"),
                          (8, "the date of birth is in the future or more than 120 years ago"),
                          (9, "expected 3 columns, found 2")]:
        assert f"<tr><td>{line}</td><td>{problem}</td>" in page

    entries = db.session.scalars(select(RegisterEntry).order_by(RegisterEntry.id)).all()
    assert [e.ward.name for e in entries] == ["Little Venice", "Vincent Square", "Queen's Park"]
    assert entries[1].lookup_hash == services.lookup_hash("SW1P 2AB", date(1972, 11, 4))
    assert all(e.claimed_by_id is None for e in entries)
    upload_row = db.session.scalars(select(RegisterUpload)).one()
    assert (upload_row.rows_added, upload_row.rows_skipped, upload_row.rows_rejected) == (3, 1, 5)
    assert upload_row.uploaded_by_id == admin.id


def test_the_postcode_and_date_of_birth_never_reach_the_database(client_as):
    client, _admin = client_as("admin")
    upload(client, GOOD_AND_BAD)
    needles = ["W2 1AA", "W21AA", "SW1P 2AB", "SW1P2AB", "sw1p2ab", "1985-03-27", "27/03/1985", "1972-11-04",
               "04/11/1972", "W9 2LX", "1960-07-15"]
    dump = []
    for table in Base.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            dump.append(" ".join(str(value) for value in row))
    everything = "\n".join(dump)
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == 3
    for needle in needles:
        assert needle not in everything, f"{needle!r} is stored in clear"
    # Also through raw SQL, in case a column is not mapped.
    raw = db.session.execute(text("SELECT * FROM register_entries")).all()
    assert needles[0] not in repr(raw)


def test_the_upload_is_audited_with_counts_only(client_as):
    client, admin = client_as("admin")
    upload(client, GOOD_AND_BAD, filename="../../march-register.csv")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "register.upload")).one()
    assert entry.actor_id == admin.id
    assert entry.object_label == "march-register.csv"
    assert entry.after == {"added": 3, "duplicates": 1, "rejected": 5, "conflicts": 0}
    assert "W2 1AA" not in repr((entry.before, entry.after, entry.reason, entry.object_label))


def test_uploading_again_skips_existing_entries_and_counts_them(client_as):
    client, _admin = client_as("admin")
    upload(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Little Venice\n")
    page = upload(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Little Venice\n"
                          "W2 1AB,1985-03-27,Little Venice\n").get_data(as_text=True)
    assert "1 resident added" in page and "1 already in the register, skipped" in page
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == 2


def test_columns_in_another_order_and_windows_line_endings(client_as):
    client, _admin = client_as("admin")
    page = upload(client, b"ward,postcode,date_of_birth\r\nMaida Vale,W9 2AA,1970-01-02\r\n\r\n"
                          b"maida vale,W9 2AB,02/01/1970\r\n").get_data(as_text=True)
    assert "2 residents added" in page
    assert db.session.scalar(select(RegisterEntry.ward_id).limit(1)) == ward("Maida Vale").id


def test_past_uploads_are_listed_with_their_counts(client_as):
    client, admin = client_as("admin")
    upload(client, GOOD_AND_BAD, filename="first.csv")
    page = client.get("/verify/register").get_data(as_text=True)
    assert "first.csv" in page and admin.display_name in page
    assert "<td>3</td>\n      <td>1</td>\n      <td>5</td>" in page


def test_a_file_without_the_header_is_refused(client_as):
    client, _admin = client_as("admin")
    page = upload(client, "W2 1AA,1985-03-27,Little Venice\n").get_data(as_text=True)
    assert "The first line must be the header postcode,date_of_birth,ward" in page
    assert db.session.scalar(select(func.count()).select_from(RegisterUpload)) == 0


def test_a_file_that_is_not_utf8_or_empty_is_refused(client_as):
    client, _admin = client_as("admin")
    assert "saved as UTF-8" in upload(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Lé\n"
                                      .encode("utf-16")).get_data(as_text=True)
    assert "The file is empty" in upload(client, "\n\n").get_data(as_text=True)
    assert "Choose a CSV file to upload." in client.post("/verify/register", data={},
                                                         content_type="multipart/form-data").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RegisterUpload)) == 0


def test_past_uploads_load_in_a_fixed_number_of_queries(client_as, make_user, count_queries):
    client, admin = client_as("admin")

    def make_uploads(n: int):
        for i in range(n):
            uploader = make_user("admin") if i % 10 == 0 else admin
            db.session.add(RegisterUpload(uploaded_by_id=uploader.id, filename=f"r{i}.csv", rows_added=i))
        db.session.flush()

    make_uploads(2)
    client.get("/verify/register")
    with count_queries() as few:
        client.get("/verify/register")
    make_uploads(40)
    with count_queries() as many:
        page = client.get("/verify/register").get_data(as_text=True)
    assert many.count == few.count
    assert "Page 1 of 3 (42 in all)" in page


# Checking first, conflicts, the report, the register's size, replacing it -----------------------------------


def upload_as(client, body: str, **form):
    return client.post("/verify/register", data={"file": (io.BytesIO(body.encode()), "march.csv"), **form},
                       content_type="multipart/form-data")


def test_a_row_error_shows_what_the_line_said(client_as):
    client, _admin = client_as("admin")
    page = upload(client, "postcode,date_of_birth,ward\nNOT A POSTCODE,1990-01-01,Marylebone\n").get_data(
        as_text=True)
    assert "<code>NOT A POSTCODE,1990-01-01,Marylebone</code>" in page


def test_checking_first_writes_nothing_and_says_what_would_happen(client_as):
    client, _admin = client_as("admin")
    page = upload_as(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Little Venice\nbad,x,y\n",
                     step="check").get_data(as_text=True)
    assert "Check of march.csv: nothing was added yet" in page and "1 resident would be added" in page
    assert "1 row with problems" in page
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == 0
    assert db.session.scalar(select(func.count()).select_from(RegisterUpload)) == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "register.upload")) is None


def test_the_same_person_with_another_ward_is_a_conflict_not_already_there(client_as):
    client, _admin = client_as("admin")
    upload(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Little Venice\n")
    page = upload(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Bayswater\n"
                          "W2 1AB,1970-01-01,Bayswater\nW2 1AB,1970-01-01,Marylebone\n").get_data(as_text=True)
    assert "2 conflicts" in page
    assert "already in the register for Little Venice; this line says Bayswater: not changed" in page
    assert "the same postcode and date of birth as line 3, with another ward (Bayswater): line 3 is kept" in page
    entry = db.session.scalars(select(RegisterEntry).where(
        RegisterEntry.lookup_hash == services.lookup_hash("W2 1AA", date(1985, 3, 27)))).one()
    assert entry.ward.name == "Little Venice"


def test_the_check_downloads_as_a_csv_report(client_as):
    client, _admin = client_as("admin")
    response = upload_as(client, "postcode,date_of_birth,ward\nbad,x,Soho\nW2 1AA,1985-03-27,Little Venice\n",
                         step="report")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert body.splitlines()[0] == "line,kind,reason,what_the_line_said"
    assert "2,problem," in body and "bad,x,Soho" in body
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == 0


def test_the_page_shows_the_registers_size_and_when_it_was_loaded(client_as):
    client, _admin = client_as("admin")
    assert "0 residents, 0 of them verified an account" in client.get("/verify/register").get_data(as_text=True)
    upload_as(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Little Venice\nW2 1AB,1985-03-27,Little Venice\n")
    page = client.get("/verify/register").get_data(as_text=True)
    assert "2 residents, 0 of them verified an account" in page and "(march.csv)" in page


def test_replacing_the_register_removes_the_missing_and_takes_the_new_wards(client_as):
    client, admin = client_as("admin")
    upload(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Little Venice\nW2 1AB,1970-01-01,Bayswater\n")
    page = upload_as(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Bayswater\nW9 2LX,1960-07-15,Maida Vale\n",
                     replace="y").get_data(as_text=True)
    assert "1 ward changed, 1 resident not in the file removed" in page and "1 resident added" in page
    wards_now = {e.lookup_hash: e.ward.name for e in db.session.scalars(select(RegisterEntry))}
    assert wards_now == {services.lookup_hash("W2 1AA", date(1985, 3, 27)): "Bayswater",
                         services.lookup_hash("W9 2LX", date(1960, 7, 15)): "Maida Vale"}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "register.upload")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.after["replaced"] is True and entry.after["removed"] == 1 and entry.after["changed"] == 1


def test_only_admins_check_or_replace_the_register(client_as):
    for role in ("resident", "officer"):
        client, _user = client_as(role)
        response = upload_as(client, "postcode,date_of_birth,ward\nW2 1AA,1985-03-27,Little Venice\n",
                             step="report")
        assert response.status_code == 403

"""One place to set up a process: /admin/processes lists every process (drafts too) with its details, phases and
what each domain adds (the proposals' limits, threshold and categories); the process page's "Manage this
process" links the same; residents see the support rules on the proposals page."""

from __future__ import annotations

import pytest

from civic.db import db
from tests.support.pages import main_text


def test_the_processes_page_links_every_part_of_the_set_up(client_as, make_process):
    draft = make_process(title="Quiet streets draft", published=False)
    live = make_process(title="Cleaner air")
    client, _officer = client_as("officer")
    response = client.get("/admin/processes")
    assert response.status_code == 200
    html, text = response.get_data(as_text=True), main_text(response)
    assert "Quiet streets draft" in text and "Cleaner air" in text and "Draft" in text
    for process in (draft, live):
        assert f'href="/processes/{process.slug}/edit"' in html
        assert f'href="/processes/{process.slug}/phases"' in html
        assert f'href="/processes/{process.slug}/proposals/settings"' in html
    assert 'href="/processes/new"' in html
    assert 'href="/admin/processes"' in client.get("/admin/").get_data(as_text=True)


def test_manage_this_process_reaches_the_proposal_settings(client_as, make_process):
    process = make_process()
    client, _officer = client_as("officer")
    page = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    manage = page[page.index("Manage this process"):]
    assert f'href="/processes/{process.slug}/proposals/settings">Proposals: limits, threshold and categories' in manage


@pytest.mark.parametrize("role", ["resident", "verified", "instructor"])
def test_residents_do_not_reach_the_processes_page(client_as, role):
    client, _user = client_as(role)
    assert client.get("/admin/processes").status_code == 403


def test_residents_see_the_support_rules_and_threshold(client, make_process):
    process = make_process(support_limit=3, threshold=50, close_at_threshold=True, min_supports=2)
    db.session.commit()
    text = main_text(client.get(f"/processes/{process.slug}/proposals/"))
    assert "Up to 3 proposals each; supports count once you have given 2" in text
    assert "50 supports: a proposal that reaches it is marked and council officers are told; supporting it then " \
           "closes" in text
    assert "Who may support Verified residents" in text


def test_the_processes_page_costs_a_fixed_number_of_queries(client_as, make_process, count_queries):
    client, _officer = client_as("admin")
    make_process()
    with count_queries() as few:
        client.get("/admin/processes")
    for _ in range(8):
        make_process()
    with count_queries() as many:
        client.get("/admin/processes")
    assert many.count == few.count

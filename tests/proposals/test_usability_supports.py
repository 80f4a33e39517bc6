"""Issue 14, items 1, 3 and 7: a resident at the support limit sees what they support and withdraws one; the process
page has a start button while an action is open; the support confirmation is shown where the person is."""

from __future__ import annotations

import re

from tests.support.pages import button, link, main_text, text_of


def test_at_the_limit_a_resident_finds_what_they_support_and_withdraws_one(make_process, make_proposal,
                                                                          make_user, client_as):
    process = make_process(support_limit=2)
    author = make_user("resident")
    first, second, third = (make_proposal(process, author, title=t) for t in
                            ("Bike racks on Church Street", "A bench by the canal", "Plant trees on Edgware Road"))
    client, _ = client_as("verified")
    for p in (first, second):
        client.post(f"/proposals/{p.id}/support")

    page = client.get(f"/proposals/{third.id}")
    assert "You have used all 2 of your supports in this process. Withdraw one of them to support this proposal." \
        in text_of(page)
    mine = client.get(link(page, "See the proposals you support"))
    assert mine.status_code == 200
    text = main_text(mine)
    assert "Proposals you support (2 of 2)" in text
    assert "Bike racks on Church Street" in text and "A bench by the canal" in text
    assert "Plant trees on Edgware Road" not in text

    action, fields = button(mine, "Withdraw my support for A bench by the canal")
    back = client.post(action, data=fields, follow_redirects=True)
    assert back.request.path == f"/processes/{process.slug}/proposals/supported"
    assert "Your support for “A bench by the canal” is withdrawn." in text_of(back)
    assert "Proposals you support (1 of 2)" in main_text(back)

    page = client.get(f"/proposals/{third.id}")
    assert "Support this proposal" in text_of(page)


def test_the_account_and_process_pages_link_to_the_supports(make_process, make_proposal, make_user, client_as):
    process = make_process(support_limit=10, title="Greener Marylebone")
    proposal = make_proposal(process, make_user("resident"))
    client, _ = client_as("verified")
    account = client.get("/account")
    assert "Proposals you support" not in text_of(account)  # nothing supported yet: no empty list offered

    client.post(f"/proposals/{proposal.id}/support")
    account = client.get("/account")
    mine = link(account, "Proposals you support in Greener Marylebone (1 of 10)")
    assert mine == f"/processes/{process.slug}/proposals/supported"
    process_page = client.get(f"/processes/{process.slug}")
    assert link(process_page, "Proposals you support (1 of 10)") == mine


def test_the_list_is_only_the_signed_in_persons_own(make_process, make_proposal, make_user, client_as, signed_in):
    process = make_process()
    proposal = make_proposal(process, make_user("resident"), title="Only mine to see")
    client, me = client_as("verified")
    client.post(f"/proposals/{proposal.id}/support")
    other = signed_in(make_user("verified"))
    page = other.get(f"/processes/{process.slug}/proposals/supported")
    assert "Only mine to see" not in page.text
    assert "You do not support any proposals in this process yet." in text_of(page)
    anonymous = client.application.test_client().get(f"/processes/{process.slug}/proposals/supported")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]


def test_the_list_loads_in_a_fixed_number_of_queries(make_process, make_proposal, make_user, client_as,
                                                     count_queries):
    process = make_process()
    author = make_user("resident")
    proposals = [make_proposal(process, author) for _ in range(8)]
    client, _ = client_as("verified")
    client.post(f"/proposals/{proposals[0].id}/support")
    with count_queries() as few:
        client.get(f"/processes/{process.slug}/proposals/supported")
    for p in proposals[1:]:
        client.post(f"/proposals/{p.id}/support")
    with count_queries() as many:
        page = client.get(f"/processes/{process.slug}/proposals/supported")
    assert "Proposals you support (8)" in text_of(page)
    assert many.count == few.count


# Item 3: making a proposal is one click from the process page --------------------------------------------------


def test_the_process_page_has_a_start_button_while_proposals_are_open(make_process, client_as):
    process = make_process(title="Streets for people")
    client, _ = client_as("resident")
    page = client.get(f"/processes/{process.slug}")
    form = client.get(link(page, "Make a proposal"))
    assert form.status_code == 200 and form.request.path == f"/processes/{process.slug}/proposals/new"
    assert link(page, "Support proposals") == f"/processes/{process.slug}/proposals/"


def test_no_start_button_while_proposals_are_closed(make_process, client_as):
    process = make_process(allow_propose=False)
    client, _ = client_as("resident")
    page = client.get(f"/processes/{process.slug}")
    assert "Make a proposal" not in text_of(page)


def test_the_nav_label_is_the_title_of_the_page_it_opens(client):
    home = client.get("/")
    page = client.get(link(home, "Participatory processes"))
    assert re.search(r"<h1>\s*Participatory processes\s*</h1>", page.text)
    assert 'aria-current="page">Participatory processes' in page.text


# Item 7: the support confirmation is where the person is --------------------------------------------------------


def test_the_thank_you_is_in_the_supports_section_and_takes_focus(open_proposal, client_as):
    client, _ = client_as("verified")
    page = client.get(f"/proposals/{open_proposal.id}")
    action, fields = button(page, "Support this proposal")
    response = client.post(action, data=fields)
    assert response.headers["Location"].endswith("#support")
    page = client.get(response.headers["Location"]).text
    section = re.search(r'<section class="panel" id="support".*?</section>', page, flags=re.S).group(0)
    assert re.search(r'role="status" tabindex="-1" data-focus-on-load>Thank you: your support is counted.</div>',
                     section)
    assert page.count("Thank you: your support is counted.") == 1  # not also at the top of the page

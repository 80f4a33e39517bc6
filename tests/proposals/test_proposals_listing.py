"""The proposals list: filters, orders, stable random paging, the map's GeoJSON and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import insert, select

from civic.db import db, utcnow
from civic.search import services
from proposals.listing import random_order
from proposals.models import Proposal, ProposalCategoryLink, Support


def listed(response) -> list[str]:
    """The titles of the listed proposals, in order."""
    assert response.status_code == 200, response.text
    if 'class="proposal-list"' not in response.text:
        return []
    block = response.text.split('class="proposal-list"')[1].split("</ol>")[0]
    return re.findall(r'<h3><a href="/proposals/\d+">([^<]+)</a></h3>', block)


def url(process, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/processes/{process.slug}/proposals/" + (f"?{query}" if query else "")


def test_drafts_hidden_and_withdrawn_proposals_are_not_listed(client, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    make_proposal(process, author, title="Published and visible proposal")
    make_proposal(process, author, title="Still a private draft here", state="draft")
    make_proposal(process, author, title="Hidden by the moderators", hidden_at=utcnow())
    make_proposal(process, author, title="Withdrawn by the author", state="withdrawn")
    make_proposal(make_process(), author, title="In another process entirely")
    assert listed(client.get(url(process))) == ["Published and visible proposal"]
    assert listed(client.get(url(process, state="withdrawn"))) == ["Withdrawn by the author"]


def test_the_page_names_the_programme(client, make_process):
    process = make_process(programme="empowering-people")
    page = client.get(url(process))
    assert "Empowering People" in page.text
    assert "There are no proposals yet." in page.text


def test_filters_ward_state_category_and_text(client, make_user, make_process, make_proposal, categories_of):
    process = make_process(categories=["Cycling", "Trees"])
    cycling, trees = categories_of(process)
    author = make_user("resident")
    make_proposal(process, author, title="Cycle lane on Harrow Road now", ward="Harrow Road", categories=[cycling])
    make_proposal(process, author, title="Trees on Church Street market", ward="Church Street",
                  categories=[trees], answer_state="accepted")
    make_proposal(process, author, title="Cut traffic by 50% on Edgware Road", ward="Church Street",
                  body="Less traffic_jams please", answer_state="evaluating")
    make_proposal(process, author, title="Plant 500 trees in Westbourne", ward="Westbourne", categories=[trees],
                  body="Trees for everyone")

    page = client.get(url(process))
    assert 'value="cycling"' in page.text  # the category filter offers the process's categories
    ward = next(w for w in re.findall(r'<option value="(\d+)">Harrow Road</option>', page.text))
    assert listed(client.get(url(process, ward=ward, order="newest"))) == ["Cycle lane on Harrow Road now"]
    assert listed(client.get(url(process, state="accepted"))) == ["Trees on Church Street market"]
    assert listed(client.get(url(process, state="evaluating"))) == ["Cut traffic by 50% on Edgware Road"]
    assert sorted(listed(client.get(url(process, category="trees")))) == [
        "Plant 500 trees in Westbourne", "Trees on Church Street market"]
    # Text is matched in the title or the body, case-insensitively, with LIKE's wildcards taken literally.
    assert sorted(listed(client.get(url(process, q="TREES")))) == [
        "Plant 500 trees in Westbourne", "Trees on Church Street market"]
    assert listed(client.get(url(process, q="50%25"))) == ["Cut traffic by 50% on Edgware Road"]
    assert listed(client.get(url(process, q="c_cle"))) == []
    assert listed(client.get(url(process, q="traffic_jams"))) == ["Cut traffic by 50% on Edgware Road"]
    # Filters combine; unknown values are ignored rather than failing.
    assert listed(client.get(url(process, category="trees", state="accepted"))) == ["Trees on Church Street market"]
    assert len(listed(client.get(url(process, ward="x", state="nonsense", order="sideways")))) == 4
    response = client.get(url(process, q="nothing like this"))
    assert "No proposal matches your search." in response.text


def test_orders_most_supported_newest_most_commented(client, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    now = utcnow()
    make_proposal(process, author, title="Old, popular and quiet proposal", supports_count=30, comments_count=1,
                  published_at=now - timedelta(days=3))
    make_proposal(process, author, title="Middle, talked about a lot here", supports_count=5, comments_count=40,
                  published_at=now - timedelta(days=2))
    make_proposal(process, author, title="Newest and not yet supported", supports_count=0, comments_count=0,
                  published_at=now - timedelta(days=1))
    assert listed(client.get(url(process, order="most_supported"))) == [
        "Old, popular and quiet proposal", "Middle, talked about a lot here", "Newest and not yet supported"]
    assert listed(client.get(url(process, order="newest"))) == [
        "Newest and not yet supported", "Middle, talked about a lot here", "Old, popular and quiet proposal"]
    assert listed(client.get(url(process, order="most_commented"))) == [
        "Middle, talked about a lot here", "Old, popular and quiet proposal", "Newest and not yet supported"]


def test_the_random_order_mixes_consecutive_ids_for_every_seed(app, make_user, make_process, make_proposal):
    """Consecutive ids (proposals made one after another) are shuffled whatever the visitor's seed: an affine
    shuffle kept them in order about one visit in ten, which an earlier CI run caught."""
    process = make_process()
    author = make_user("resident")
    for n in range(25):
        make_proposal(process, author, title=f"Consecutive proposal {n:02d}", commit=False)
    db.session.commit()
    ids = select(Proposal.id).where(Proposal.process_id == process.id)
    in_order = sorted(db.session.scalars(ids))
    for seed in range(0, 2**62, 2**62 // 300):
        order = db.session.scalars(ids.order_by(random_order(seed), Proposal.id)).all()
        assert sorted(order) == in_order  # every proposal, once
        rises = sum(1 for x, y in zip(order[:20], order[1:20]) if x < y)
        assert 3 <= rises <= 16, (seed, order)  # a shuffle, not the ids in (nearly) their order


def test_random_order_is_stable_across_pages_for_one_visitor(app, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    titles = {make_proposal(process, author, title=f"Proposal number {n:02d} for the random order",
                            commit=False).title for n in range(25)}
    db.session.commit()
    visitor = app.test_client()
    first = listed(visitor.get(url(process)))
    second = listed(visitor.get(url(process, page=2)))
    assert len(first) == 20 and len(second) == 5
    assert set(first) | set(second) == titles  # every proposal once, none twice
    assert listed(visitor.get(url(process))) == first  # the same order when coming back
    assert listed(visitor.get(url(process, order="random", page=2))) == second
    assert first != sorted(first) or second != sorted(second)  # shuffled, not by id
    # Another visitor gets another order (the chance of the same shuffle is nil).
    others = [listed(app.test_client().get(url(process))) for _ in range(3)]
    assert any(o != first for o in others)


def test_geojson_has_the_filtered_located_proposals_with_public_fields_only(client, make_user, make_process,
                                                                            make_proposal, categories_of):
    process = make_process(categories=["Trees"])
    [trees] = categories_of(process)
    author = make_user("resident", email="author-secret@example.org")
    located = make_proposal(process, author, title="Trees with a point on the map", latitude=51.5226,
                            longitude=-0.17, categories=[trees], body="Secret-ish body text", supports_count=4)
    make_proposal(process, author, title="Cycle racks with a point here", latitude=51.52, longitude=-0.16)
    make_proposal(process, author, title="Trees without any point at all", categories=[trees])
    make_proposal(process, author, title="A located draft never shown", latitude=51.51, longitude=-0.15,
                  state="draft")
    make_proposal(process, author, title="A hidden one never shown either", latitude=51.51, longitude=-0.15,
                  hidden_at=utcnow())

    response = client.get(f"/processes/{process.slug}/proposals/map.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    data = response.get_json()
    assert data["type"] == "FeatureCollection"
    assert sorted(f["properties"]["title"] for f in data["features"]) == [
        "Cycle racks with a point here", "Trees with a point on the map"]

    data = client.get(f"/processes/{process.slug}/proposals/map.geojson?category=trees").get_json()
    [feature] = data["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-0.17, 51.5226]}
    assert feature["properties"]["url"] == f"http://civic.test/proposals/{located.id}"  # absolute (#13)
    assert feature["properties"]["supports_count"] == 4
    assert feature["properties"]["ward"] == "Church Street"
    text = response.text
    assert "author-secret" not in text and "Secret-ish" not in text and author.nickname not in text

    page = client.get(url(process))
    assert "2 of 3 have a place on the map." in page.text
    assert f'data-geojson-url="/processes/{process.slug}/proposals/map.geojson' in page.text
    assert "vendor/leaflet/leaflet.js" in page.text and "js/map.js" in page.text
    page = client.get(url(process, category="trees"))
    assert "1 of 2 have a place on the map." in page.text
    assert "map.geojson?category=trees" in page.text


def test_an_unpublished_process_is_only_for_officers(client_as, make_process):
    process = make_process(published=False)
    resident, _ = client_as("resident")
    officer, _ = client_as("officer")
    assert resident.get(url(process)).status_code == 404
    assert resident.get(f"/processes/{process.slug}/proposals/map.geojson").status_code == 404
    assert officer.get(url(process)).status_code == 200


def _bulk(process, authors, categories, n: int, start: int = 0) -> None:
    """n published proposals with categories, located, with supports and comment counts."""
    from proposals.models import Proposal

    rows = []
    for i in range(start, start + n):
        rows.append(Proposal(process_id=process.id, author_id=authors[i % len(authors)].id,
                             title=f"Bulk proposal number {i} for counting", body="Body " * 20,
                             ward_id=process_ward(process), state="published", published_at=utcnow(),
                             latitude=51.5 + i / 10000, longitude=-0.15, supports_count=i % 7,
                             comments_count=i % 5))
    db.session.add_all(rows)
    db.session.flush()
    db.session.execute(insert(ProposalCategoryLink), [
        {"proposal_id": p.id, "category_id": c.id} for p in rows for c in categories])
    db.session.execute(insert(Support), [
        {"proposal_id": p.id, "user_id": authors[0].id, "process_id": process.id} for p in rows])
    db.session.commit()


def process_ward(process) -> int:
    from sqlalchemy import select

    from civic.spaces.models import Ward

    return db.session.scalar(select(Ward.id).where(Ward.name == "Maida Vale"))


def test_the_list_runs_a_fixed_number_of_queries(client_as, make_process, make_people, count_queries,
                                                 categories_of):
    c, _ = client_as("resident")
    for order in ("random", "most_supported", "newest", "most_commented"):
        process = make_process(categories=["Trees", "Cycling", "Noise"])
        categories = categories_of(process)
        _bulk(process, make_people(5), categories, 5)
        with count_queries() as few:
            assert len(listed(c.get(url(process, order=order)))) == 5
        _bulk(process, make_people(20), categories, 55, start=5)
        with count_queries() as many:
            assert len(listed(c.get(url(process, order=order, page=2)))) == 20
        with count_queries() as filtered:
            assert len(listed(c.get(url(process, order=order, category="trees", q="bulk")))) == 20
        assert many.count == few.count, "\n".join(many.statements)
        # (the text filter asks the search index: one statement more when the index is PostgreSQL's table)
        assert filtered.count == few.count + (services.backend_name() == "postgres")
    with count_queries() as geo:
        assert len(c.get(f"/processes/{process.slug}/proposals/map.geojson").get_json()["features"]) == 60
    assert geo.count < few.count


def test_an_answer_state_has_one_name_on_the_list_its_filter_the_map_and_the_page(client, make_user, make_process,
                                                                                  make_proposal):
    process = make_process()
    proposal = make_proposal(process, make_user("resident"), title="Trees along the Harrow Road, please",
                             latitude=51.5226, longitude=-0.17)
    page = client.get(url(process)).text
    assert '<option value="not_answered">Not answered yet</option>' in page  # the state filter
    badge = page.split('class="proposal-list"')[1].split("</ol>")[0]
    assert "Not answered yet" in badge
    [feature] = client.get(f"/processes/{process.slug}/proposals/map.geojson").get_json()["features"]
    assert feature["properties"]["status"] == "Not answered yet"
    assert "Not answered yet" in client.get(f"/proposals/{proposal.id}").text

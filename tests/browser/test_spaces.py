"""Process pages in headless Chromium, as an officer builds a process and a resident reads it: every page
(forms with errors included) passes axe-core and does not scroll sideways at 320 px."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from tests.browser.conftest import sign_in
from tests.browser.test_crawl import axe_violations
from tests.browser.test_pages import NARROW, WIDTH_JS

#: What sticks out on the right of a narrow screen, to say why a page is too wide.
WIDE_JS = """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 321)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`).slice(0, 10)"""

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def png_bytes() -> bytes:
    data = BytesIO()
    Image.new("RGB", (1200, 300), (30, 90, 160)).save(data, "PNG")
    return data.getvalue()


def check(page, problems: list[str]) -> None:
    problems.extend(axe_violations(page))
    if page.locator("h1").count() != 1:
        problems.append(f"{page.url}: not exactly one h1")
    width = page.evaluate(WIDTH_JS)
    if width > NARROW["width"]:
        problems.append(f"{page.url} is {width}px wide: " + " ".join(page.evaluate(WIDE_JS)))


def test_an_officer_builds_a_process_and_a_resident_reads_it(new_context):  # noqa: F811 - the fixture
    problems: list[str] = []
    _context, page, _watch = new_context(viewport=NARROW)
    sign_in(page, "officer")
    page.goto("/processes/")
    check(page, problems)
    page.get_by_role("link", name="Create a process").click()
    check(page, problems)
    page.get_by_role("button", name="Create the process").click()  # everything missing
    assert page.get_by_role("heading", name="There is a problem").count() == 1
    check(page, problems)

    page.get_by_label("Title", exact=True).fill("Browser test: quieter streets")
    page.get_by_label("Description", exact=True).fill("Tell us where **noise** bothers you.")
    page.get_by_label("Programme").select_option("cleantech-city")
    page.get_by_label("Only some wards").check()
    page.get_by_label("Marylebone").check()
    page.locator("#banner").set_input_files(files=[{"name": "b.png", "mimeType": "image/png",
                                                    "buffer": png_bytes()}])
    page.get_by_label("Description of the image").fill("A quiet mews at dusk")
    page.get_by_role("button", name="Create the process").click()
    page.wait_for_load_state()
    assert "/phases" in page.url, page.url
    check(page, problems)

    page.get_by_label("Name of the phase").fill("Proposals")
    page.get_by_label("Start date").fill("01/01/2020")
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End date").fill("01/01/2099")
    page.get_by_label("End time").fill("00:00")
    page.get_by_label("Making proposals").check()
    page.get_by_role("button", name="Add the phase").click()
    page.wait_for_load_state()
    assert page.get_by_text("The phase “Proposals” is added.").count() == 1
    page.get_by_label("Name of the phase").fill("Overlapping")
    page.get_by_label("End date").fill("01/02/2099")
    page.get_by_label("End time").fill("00:00")
    page.get_by_label("Start date").fill("01/01/2030")
    page.get_by_role("button", name="Add the phase").click()
    page.wait_for_load_state()
    assert page.get_by_text("would overlap").count() >= 1
    check(page, problems)
    page.get_by_role("link", name="Edit Proposals").click()
    check(page, problems)
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Back to the process page").click()
    check(page, problems)
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    assert page.get_by_text("is published").count() == 1
    slug_url = page.url
    page.get_by_role("link", name="Edit the details").click()
    check(page, problems)

    _context, reader, _watch = new_context(viewport=NARROW)
    reader.goto(slug_url)
    assert reader.locator('[aria-current="step"]').count() == 1
    assert reader.get_by_role("img", name="A quiet mews at dusk").count() == 1
    check(reader, problems)
    reader.goto("/processes/?ward=marylebone")
    check(reader, problems)
    assert not problems, "\n".join(problems)

"""Reading pages and links as a person would, for any package's tests: the text of a page or of its <main>, the
message beside a field, what an input shows, and a link's path."""

from __future__ import annotations

import html
import re


def text_of(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def main_text(response) -> str:
    """The text of the <main> landmark only (no header, navigation or footer)."""
    body = response.get_data(as_text=True)
    match = re.search(r"<main\b.*?</main>", body, flags=re.S)
    assert match, "the page has no <main>"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(0)))).strip()


def field_error(response, field_id: str) -> str:
    """The message shown beside one field (``<p class="error-message" id="<field>-error">``)."""
    body = response.get_data(as_text=True)
    match = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">(.*?)</p>', body, flags=re.S)
    assert match, f"no error message beside {field_id!r}"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).replace("Error:", "").strip()


def input_value(response, field_id: str) -> str | None:
    """The value an input shows again after a failed submit (None when it has no value)."""
    body = response.get_data(as_text=True)
    match = re.search(rf'<input\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', body)
    assert match, f"no input {field_id!r}"
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def path_of(url: str) -> str:
    """``http://civic.test/confirm/abc`` -> ``/confirm/abc`` (the test client's view of a link)."""
    return re.sub(r"^https?://[^/]+", "", url)


def _words(fragment: str) -> str:
    """Text as an accessible name reads: inline tags join their words (``Hide<span> this</span>``)."""
    fragment = re.sub(r"<br\s*/?>", " ", fragment)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def link(response, name: str, *, in_main: bool = False) -> str:
    """The path of the (first) link whose accessible name (its text, visually hidden parts included) is ``name``,
    as a person finds it by its words; ``in_main``: only in the page's <main>. Fails naming the links there are."""
    body = response.get_data(as_text=True)
    if in_main:
        body = re.search(r"<main\b.*?</main>", body, flags=re.S).group(0)
    found = [(html.unescape(href), _words(text)) for href, text in
             re.findall(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', body, flags=re.S)]
    for href, text in found:
        if text.replace("→", "").strip() == name:
            return path_of(href)
    raise AssertionError(f"no link named {name!r}; links: {[t for _h, t in found]}")


def button(response, name: str) -> tuple[str, dict[str, str]]:
    """The form of the button named ``name``: (its action, its hidden fields), to post as pressing it would."""
    body = response.get_data(as_text=True)
    for form in re.findall(r"<form\b.*?</form>", body, flags=re.S):
        for text in re.findall(r"<button\b[^>]*>(.*?)</button>", form, flags=re.S):
            if _words(text) == name:
                action = re.search(r'\baction="([^"]*)"', form)
                hidden = {}
                for tag in re.findall(r"<input\b[^>]*>", form):
                    attrs = dict(re.findall(r'\b([a-z_-]+)="([^"]*)"', tag))
                    if attrs.get("type") == "hidden" and "name" in attrs:
                        hidden[html.unescape(attrs["name"])] = html.unescape(attrs.get("value", ""))
                return path_of(html.unescape(action.group(1))) if action else "", hidden
    raise AssertionError(f"no button named {name!r}")


def date_fields(name: str, typed: str) -> dict[str, str]:
    """What a person types in a GOV.UK date input (``civic.fields.DateInputField``): ``"27/3/1985"`` (or
    ``"1985-03-27"``) -> ``{name-day: "27", name-month: "3", name-year: "1985"}``; "" leaves the boxes empty."""
    if not typed:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    parts = re.split(r"[/\-\s]+", typed.strip())
    if len(parts[0]) == 4:  # year first
        parts = parts[::-1]
    day, month, year = (parts + ["", "", ""])[:3]
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}

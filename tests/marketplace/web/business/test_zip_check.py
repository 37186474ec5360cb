"""The home page's ZIP check answers in the page: for htmx, for a plain GET, and for a ZIP that is not one."""

import re

import pytest
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["abc", "7870", "787011", ""])
def test_a_plain_get_with_a_bad_zip_is_the_home_page_saying_what_to_enter(client, typed):
    response = client.get(reverse("coverage"), {"zip": typed})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().lower().startswith("<!doctype html>")  # a page, not a bare fragment
    assert "Do you serve me?" in page
    assert re.search(r'<p id="coverage" role="status">\s*<strong>Enter a 5-digit ZIP code</strong>', page)
    assert 'aria-invalid="true"' in page


@pytest.mark.django_db
def test_a_plain_get_with_a_served_zip_answers_under_the_box_it_was_typed_in(client, in_area_hauler):
    page = client.get(reverse("coverage"), {"zip": "78701"}).content.decode()
    assert "Yes, we serve 78701 (Austin, TX)" in page
    assert re.search(r'<input type="text" name="zip"[^>]*value="78701"', page)
    assert "aria-invalid" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["abc", "7870"])
def test_htmx_gets_the_answer_alone(client, typed):
    response = client.get(reverse("coverage"), {"zip": typed}, **HTMX)
    fragment = response.content.decode().strip()
    assert fragment.startswith('<p id="coverage" role="status">') and "<html" not in fragment
    assert "Enter a 5-digit ZIP code" in fragment
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_the_box_leaves_checking_to_the_server_so_the_message_is_seen(client):
    page = client.get(reverse("home")).content.decode()
    form = re.search(r'<form action="/coverage/"[^>]*>', page).group(0)
    assert "novalidate" in form  # no browser tooltip instead of the answer
    assert not re.search(r'<p id="coverage" role="status">\s*<strong>', page)  # nothing asked, nothing said

"""Error pages: the website's 400, 403, 404 and 500 are pages in the site's frame with a way on; the API's stay JSON."""

import pytest
from django.template import loader
from django.test import Client

pytestmark = pytest.mark.urls("tests.config.error_urls")

FRAME = '<a class="brand" href="/">HaulMatch</a>'


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


def test_a_website_404_is_the_sites_page(visitor, db):
    response = visitor.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert FRAME in page and "We can't find that page" in page
    assert "<code>/no-such-page/</code>" in page
    assert 'href="/how-it-works/"' in page  # a way on for someone signed out


def test_an_api_404_stays_json(visitor, db):
    response = visitor.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_403_names_the_reason_the_code_gave(visitor, customer_owner):
    visitor.force_login(customer_owner)
    response = visitor.get("/hauler/offers/")
    assert response.status_code == 403
    page = response.content.decode()
    assert FRAME in page and "You can't open this page" in page
    assert "This page is for haulers." in page
    assert 'href="/start/"' in page


def test_a_role_refusal_points_to_the_team(visitor, customer_owner):
    visitor.force_login(customer_owner)
    response = visitor.get("/role-refused/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Only an owner of Congress Avenue Café can change the card." in page
    assert 'href="/team/"' in page


def test_an_api_403_is_json_with_the_reason(visitor, db):
    response = visitor.get("/api/v1/refused/")
    assert response.status_code == 403
    assert response.json() == {"detail": "This page is for haulers.", "code": "permission_denied"}


def test_400_is_a_page_that_says_nothing_was_done(visitor, db):
    response = visitor.get("/unreadable/")
    assert response.status_code == 400
    page = response.content.decode()
    assert FRAME in page and "We could not read that request" in page and "nothing was done" in page
    assert "a cursor that does not parse" not in page  # the code's words are for the log, not the visitor


def test_an_api_400_is_json(visitor, db):
    response = visitor.get("/api/v1/unreadable/")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_500_renders_with_debug_off(visitor, settings, db):
    settings.DEBUG = False
    settings.SUPPORT_EMAIL = "help@haulmatch.example"
    response = visitor.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert FRAME in page and "Something went wrong on our side" in page
    assert 'href="mailto:help@haulmatch.example"' in page
    assert 'href="/static/site.css"' in page  # the plain name, which needs no manifest


def test_an_api_500_is_json(visitor, settings, db):
    settings.DEBUG = False
    response = visitor.get("/api/v1/broken/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on our side.", "code": "server_error"}


def test_the_500_page_needs_no_request_and_no_database():
    page = loader.get_template("500.html").render({})  # no db fixture: a query would raise here
    assert "Something went wrong on our side" in page and "{%" not in page


def test_a_form_that_fails_the_csrf_check_gets_the_sites_page(db, customer_owner, settings):
    settings.DEBUG = False
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer_owner)
    response = browser.post("/book/", {"location": "1"})  # no CSRF token: a tab left open past a new sign-in
    assert response.status_code == 403
    page = response.content.decode()
    assert FRAME in page and "That form had expired" in page
    assert "nothing was done" in page and "data-back" in page
    # Django's reason ("CSRF cookie not set.", "CSRF token missing.") is for developers: shown only with DEBUG on.
    assert "CSRF cookie" not in page and "CSRF token" not in page

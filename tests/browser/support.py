"""What several browser tests do the same way."""

from tests import factories


def log_in(page, email: str, password: str = factories.PASSWORD) -> None:
    """Sign in through the login page and wait until it has led somewhere else."""
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main").get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

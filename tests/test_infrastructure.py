"""The harness itself: a real daphne process on the test database, driven by Debian Chromium."""

import pytest
from django.contrib.auth import get_user_model


@pytest.mark.browser
def test_daphne_serves_the_test_database_to_chromium(live_processes, browser):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    base = live_processes.daphne()
    page = browser.new_page()
    page.goto(base + "/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-root-123")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/admin/")
    assert page.locator("#user-tools").is_visible()
    page.close()

"""Site-wide pages: the not-found page keeps the site's layout and language."""


def test_unknown_page_is_a_404_in_the_site_layout(client, db):
    response = client.get("/auctions/999999/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode() and 'class="site-header"' in response.content.decode()


def test_not_found_page_in_english(client, db):
    client.cookies["django_language"] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_sign_in_page_keeps_next_on_the_sign_up_link(client, db):
    response = client.get("/accounts/login/?next=/auctions/1/register/")
    assert "/accounts/signup/?next=/auctions/1/register/" in response.content.decode()

"""``GET /v1/keys`` pages with cursors, as every list does."""

from __future__ import annotations

from tests.unit.api_harness import assert_problem, make_harness


def test_keys_are_listed_oldest_first_in_pages() -> None:
    api = make_harness()
    for name in ("a", "b", "c", "d"):
        created = api.client.post(
            "/v1/keys", json={"name": name, "scopes": ["agents:read"]}, headers=api.auth()
        )
        assert created.status_code == 201

    pages, token = [], None
    while True:
        query = {"page_size": "2", **({"page_token": token} if token else {})}
        page = api.client.get("/v1/keys", query_string=query, headers=api.auth()).get_json()
        pages.append([key["name"] for key in page["items"]])
        token = page["next_page_token"]
        if token is None:
            break

    # The bootstrap key comes first: the harness made it with the organisation.
    assert pages == [["bootstrap", "a"], ["b", "c"], ["d"]]
    refused = api.client.get("/v1/keys?page_token=garbage", headers=api.auth())
    assert_problem(refused, 422, "invalid_page_token")

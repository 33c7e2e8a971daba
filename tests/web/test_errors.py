def test_404_page_and_json(client, login):
    login("agent")
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Not found" in response.text
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404 and response.json["status"] == 404


def test_500_is_a_friendly_page(app, client, login):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaput")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    login("agent")
    response = client.get("/boom")
    assert response.status_code == 500 and "Something went wrong" in response.text and "kaput" not in response.text


def test_403_page_is_translated(client, login):
    login("agent", language="zh")
    response = client.get("/admin/users")
    assert response.status_code == 403 and "无权访问" in response.text

"""ANAF OAuth through the sandbox: the certificate picker, code exchange, refresh rotation, token check."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from anaf.errors import AnafUnavailable
from anaf.oauth import OAuthGrantError, read_claims
from anaf.sandbox.faults import FaultConfig
from tests.support.anaf_oauth import REDIRECT_URI, log_in, oauth_client, query, submit_picker


async def test_authorize_page_shows_every_certificate_with_a_pin_prompt(sandbox, http):
    page = await http.get(oauth_client(http, sandbox.url).authorize_url("s1"))
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for holder in sandbox.state.dataset.holders.values():
        assert holder.name in page.text and holder.serial in page.text
    assert 'type="password" name="pin"' in page.text
    assert 'value="s1"' in page.text  # the state travels in the form


async def test_right_pin_redirects_with_code_and_state(sandbox, http):
    client = oauth_client(http, sandbox.url)
    answer = await submit_picker(http, client.authorize_url("xyz"), holder="small", pin="1234")
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    assert query(location)["state"] == "xyz" and query(location)["code"]


async def test_certificate_chosen_by_serial_works_too(sandbox, http):
    holder = sandbox.state.dataset.holders["persons"]
    client = oauth_client(http, sandbox.url)
    answer = await submit_picker(http, client.authorize_url("s"), serial=holder.serial, pin=holder.pin)
    assert "code" in query(answer.headers["location"])


@pytest.mark.parametrize(
    "choice",
    [
        {"holder": "small", "pin": "9999"},  # wrong PIN
        {"holder": "small", "pin": "1234", "action": "cancel"},  # token not inserted / prompt closed
    ],
    ids=["wrong-pin", "cancel"],
)
async def test_refusals_come_back_as_access_denied(sandbox, http, choice):
    client = oauth_client(http, sandbox.url)
    answer = await submit_picker(http, client.authorize_url("st"), **choice)
    assert answer.status_code == 302
    back = query(answer.headers["location"])
    assert answer.headers["location"].startswith(REDIRECT_URI)
    assert back["error"] == "access_denied" and back["error_description"] and back["state"] == "st"
    assert "code" not in back


async def test_a_certificate_without_any_spv_rights_still_gets_tokens(sandbox, http):
    """As at ANAF: the refusal comes later, on e-Factura calls (see test_efactura)."""
    holder = sandbox.state.dataset.holders["none"]
    assert holder.cuis == () and holder.cnps == ()
    pair = await log_in(http, sandbox.url, "none")
    assert pair.serial == holder.serial and pair.access_token and pair.refresh_token


@pytest.mark.parametrize(
    "override",
    [{"client_id": "someone-else"}, {"redirect_uri": REDIRECT_URI + "/evil"}, {"redirect_uri": "https://evil.test/cb"}],
    ids=["unknown-client", "redirect-suffix", "foreign-redirect"],
)
async def test_bad_client_or_redirect_gets_an_error_page_never_a_redirect(sandbox, http, override):
    url = oauth_client(http, sandbox.url, **override).authorize_url("st")
    page = await http.get(url)
    posted = await submit_picker(http, url, holder="small", pin="1234")
    for answer in (page, posted):
        assert answer.status_code == 400 and "location" not in answer.headers
        assert "text/html" in answer.headers["content-type"]


async def test_code_exchange_gives_the_holder_serial_and_expiries(start_sandbox, http):
    sandbox = await start_sandbox(access_token_ttl=3600, refresh_token_ttl=7200)
    before = datetime.now(UTC) - timedelta(seconds=2)
    pair = await log_in(http, sandbox.url, "small")
    holder = sandbox.state.dataset.holders["small"]
    assert pair.serial == holder.serial
    assert before + timedelta(seconds=3600) <= pair.access_expires_at <= datetime.now(UTC) + timedelta(seconds=3600)
    assert before + timedelta(seconds=7200) <= pair.refresh_expires_at <= datetime.now(UTC) + timedelta(seconds=7200)
    claims = read_claims(pair.access_token)
    assert claims["iss"] == "https://logincert.anaf.ro" and claims["token_type"] == "Bearer"
    assert claims["clientappid"] == "portofoliu-sandbox"
    # As ANAF writes them: roles as ONE @-joined string, scope as the names of the claims.
    assert claims["roles"] == "HELLO@EFACTURA@ETRANSPORT@SRV_EFACTURA"
    assert claims["scope"] == "clientappid info issuer role serial"
    assert read_claims(pair.refresh_token)["token_type"] == "refresh"


async def test_client_credentials_in_the_body_are_accepted_and_wrong_ones_refused(sandbox, http):
    client = oauth_client(http, sandbox.url)
    answer = await submit_picker(http, client.authorize_url("s"), holder="small", pin="1234")
    code = query(answer.headers["location"])["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    token_url = f"{sandbox.url}/anaf-oauth2/v1/token"
    wrong = await http.post(token_url, data=form | {"client_id": "portofoliu-sandbox", "client_secret": "nope"})
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_client"}
    right = await http.post(
        f"{sandbox.url}/anaf-oauth2/v1/token",
        data=form | {"client_id": "portofoliu-sandbox", "client_secret": "sandbox-secret", "token_content_type": "jwt"},
    )
    assert right.status_code == 200
    assert set(right.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}


async def test_wrong_client_secret_is_a_grant_error_not_retried(sandbox, http):
    client = oauth_client(http, sandbox.url, client_secret="wrong")
    with pytest.raises(OAuthGrantError) as caught:
        await client.exchange_code("whatever")
    assert (caught.value.error, caught.value.status) == ("invalid_client", 400)
    assert not caught.value.authorization_dead  # the platform's configuration, not the holder's doing


async def test_a_code_works_once(sandbox, http):
    client = oauth_client(http, sandbox.url)
    answer = await submit_picker(http, client.authorize_url("s"), holder="small", pin="1234")
    code = query(answer.headers["location"])["code"]
    await client.exchange_code(code)
    with pytest.raises(OAuthGrantError) as caught:
        await client.exchange_code(code)
    assert caught.value.error == "invalid_grant"


async def test_a_code_dies_after_code_ttl(start_sandbox, http):
    sandbox = await start_sandbox(code_ttl=1)
    client = oauth_client(http, sandbox.url)
    answer = await submit_picker(http, client.authorize_url("s"), holder="small", pin="1234")
    await asyncio.sleep(1.2)
    with pytest.raises(OAuthGrantError) as caught:
        await client.exchange_code(query(answer.headers["location"])["code"])
    assert caught.value.error == "invalid_grant"


async def test_refresh_rotates_both_tokens_and_spends_the_old_refresh_token(sandbox, http):
    client = oauth_client(http, sandbox.url)
    first = await log_in(http, sandbox.url)
    second = await client.refresh(first.refresh_token)
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    assert second.serial == first.serial
    hello = await http.get(f"{sandbox.url}/TestOauth/jaxrs/hello", params={"name": "x"},
                           headers={"Authorization": f"Bearer {second.access_token}"})
    assert hello.status_code == 200 and hello.json() == {"message": "Hello x"}
    with pytest.raises(OAuthGrantError) as caught:
        await client.refresh(first.refresh_token)
    assert caught.value.error == "invalid_grant"
    await client.refresh(second.refresh_token)  # the newest one still works
    with pytest.raises(OAuthGrantError):
        await client.refresh(first.access_token)  # an access token is no refresh token


async def test_an_expired_refresh_token_is_invalid_request_and_means_authorize_again(start_sandbox, http):
    sandbox = await start_sandbox(refresh_token_ttl=2)  # whole seconds: at least 1 s of validity left
    pair = await log_in(http, sandbox.url)
    await asyncio.sleep(2.1)
    answer = await http.post(f"{sandbox.url}/anaf-oauth2/v1/token", auth=("portofoliu-sandbox", "sandbox-secret"),
                             data={"grant_type": "refresh_token", "refresh_token": pair.refresh_token})
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": "Refresh Token status is expired"}
    with pytest.raises(OAuthGrantError) as caught:
        await oauth_client(http, sandbox.url).refresh(pair.refresh_token)
    assert caught.value.error == "invalid_request" and caught.value.authorization_dead


async def test_tokens_codes_and_signing_key_survive_a_restart(start_sandbox, http, tmp_path):
    """The sandbox keeps its state like a service: a second app on the same state file (a restart,
    or another process) accepts the tokens and codes the first one issued."""
    state = str(tmp_path / "sandbox.sqlite3")
    first = await start_sandbox(state_path=state)
    pair = await log_in(http, first.url)
    client = oauth_client(http, first.url)
    code = query((await submit_picker(http, client.authorize_url("s"), holder="small", pin="1234")).headers["location"])["code"]
    second = await start_sandbox(state_path=state)
    hello = await http.get(f"{second.url}/TestOauth/jaxrs/hello", params={"name": "x"},
                           headers={"Authorization": f"Bearer {pair.access_token}"})
    assert hello.status_code == 200
    assert (await oauth_client(http, second.url).exchange_code(code)).serial == pair.serial
    rotated = await oauth_client(http, second.url).refresh(pair.refresh_token)
    with pytest.raises(OAuthGrantError):  # spent at the second: the first knows it too
        await client.refresh(pair.refresh_token)
    assert (await client.refresh(rotated.refresh_token)).serial == pair.serial


async def test_expired_access_token_is_refused_by_the_token_check(start_sandbox, http):
    sandbox = await start_sandbox(access_token_ttl=2)  # whole seconds: at least 1 s of validity left
    pair = await log_in(http, sandbox.url)
    hello = f"{sandbox.url}/TestOauth/jaxrs/hello?name=x"
    bearer = {"Authorization": f"Bearer {pair.access_token}"}
    assert (await http.get(hello, headers=bearer)).status_code == 200
    assert (await http.get(hello)).status_code == 401
    await asyncio.sleep(2.1)
    assert (await http.get(hello, headers=bearer)).status_code == 401


async def test_token_endpoint_failing_gives_anaf_unavailable_after_bounded_retries(sandbox, http):
    sandbox.state.faults["oauth"] = FaultConfig(error_rate=1.0, error_status=503)
    with pytest.raises(AnafUnavailable):
        await oauth_client(http, sandbox.url).exchange_code("code")
    assert sandbox.state.faults.injected["oauth:error"] == 3

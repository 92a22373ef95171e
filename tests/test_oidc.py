"""Sign-in through the council's identity provider, against a provider started here."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client
from jwt.algorithms import RSAAlgorithm
from pytest_django.fixtures import Settings

from qpa.accounts.models import User
from tests.support.people import Personas

CLIENT_ID = "qpa-test-client"
CLIENT_SECRET = "qpa-test-secret"
BACKEND = "qpa.accounts.oidc.CouncilOIDCBackend"


@dataclass
class Provider:
    """A tiny OpenID provider: discovery, JWKS, authorize, token and userinfo."""

    url: str = ""
    email: str = ""
    audience: str = CLIENT_ID
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "test-key", "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def authorize(self, query: dict[str, str]) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "email": self.email}
        params = urlencode({"code": code, "state": query["state"]})
        return f"{query['redirect_uri']}?{params}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("client_secret") != CLIENT_SECRET:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant["code_challenge"]:
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": f"subject-{grant['email']}",
            "aud": self.audience,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "email": grant["email"],
        }
        id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "test-key"})
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = grant["email"]
        return 200, {"access_token": access_token, "token_type": "Bearer", "id_token": id_token}

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        email = self.tokens.get(authorization.removeprefix("Bearer "))
        if email is None:
            return 401, {"error": "invalid_token"}
        return 200, {"sub": f"subject-{email}", "email": email, "email_verified": True}


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                self.send_response(302)
                self.send_header("Location", provider.authorize(query))
                self.end_headers()
            elif url.path == "/userinfo":
                self._json(*provider.userinfo(self.headers.get("Authorization", "")))
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            form = {key: values[0] for key, values in parse_qs(body).items()}
            if urlsplit(self.path).path == "/token":
                self._json(*provider.token(form))
            else:
                self._json(404, {"error": "not_found"})

    return Handler


@pytest.fixture
def provider(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    the_provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(the_provider))
    the_provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.QPA_OIDC_ISSUER = the_provider.url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    settings.AXES_ENABLED = True
    try:
        yield the_provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _through_provider(client: Client, provider: Provider, email: str) -> Any:
    provider.email = email
    start = client.get("/sign-in/council/?next=/cases/")
    assert start.status_code == 302
    assert start["Location"].startswith(f"{provider.url}/authorize?")
    authorize = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert authorize.status_code == 302
    callback = urlsplit(authorize.headers["Location"])
    assert callback.path == "/sign-in/council/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def test_an_existing_person_signs_in_with_their_council_account(
    provider: Provider, personas: Personas
) -> None:
    client = Client()
    response = _through_provider(client, provider, personas.head_of_cp.email.upper())
    assert response.status_code == 302
    assert response["Location"] == "/cases/"
    assert client.session[BACKEND_SESSION_KEY] == BACKEND
    assert client.get("/").status_code == 200


def test_an_unknown_email_is_refused_and_no_account_is_made(
    provider: Provider, personas: Personas
) -> None:
    people = User.objects.count()
    client = Client()
    response = _through_provider(client, provider, "stranger@example.org")
    assert response["Location"] == "/sign-in/?council-account=not-recognised"
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == people
    page = client.get(response["Location"]).content.decode()
    assert "Your council account is not linked to an active QPA account" in page


def test_a_disabled_person_cannot_sign_in_with_their_council_account(
    provider: Provider, personas: Personas
) -> None:
    User.objects.filter(pk=personas.head_of_cp.pk).update(is_active=False)
    client = Client()
    response = _through_provider(client, provider, personas.head_of_cp.email)
    assert response["Location"] == "/sign-in/?council-account=not-recognised"
    assert "_auth_user_id" not in client.session


def test_an_id_token_meant_for_another_client_is_refused(
    provider: Provider, personas: Personas
) -> None:
    provider.audience = "some-other-service"
    client = Client()
    response = _through_provider(client, provider, personas.head_of_cp.email)
    assert response["Location"] == "/sign-in/?council-account=not-recognised"
    assert "_auth_user_id" not in client.session


def test_the_council_sign_in_satisfies_mfa_unless_told_otherwise(
    provider: Provider, personas: Personas, settings: Settings
) -> None:
    settings.QPA_MFA_REQUIRED = True
    trusted = Client()
    _through_provider(trusted, provider, personas.head_of_cp.email)
    assert trusted.get("/").status_code == 200

    settings.QPA_OIDC_SATISFIES_MFA = False
    assert trusted.get("/")["Location"].startswith("/sign-in/set-up-app/")


def test_the_button_shows_only_when_a_provider_is_configured(
    provider: Provider, settings: Settings, db: None
) -> None:
    assert "Sign in with your council account" in Client().get("/sign-in/").content.decode()
    settings.QPA_OIDC_ISSUER = ""
    assert "Sign in with your council account" not in Client().get("/sign-in/").content.decode()
    assert Client().get("/sign-in/council/").status_code == 404
    assert Client().get("/sign-in/council/callback/?code=x&state=y").status_code == 404

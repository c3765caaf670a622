"""The OpenID Connect protocol, through Authlib: Authorization Code with PKCE, and the ID token's checks.

Nothing here decides who may sign in (services/sso.py does); this module only proves who the provider says the
person is. Every refusal is a :class:`SignInRefused` with a sentence for the person and a reason for the log: the
person never sees a stack trace, the administrator reading the log sees what to fix.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Phrase, phrase
from cxmaturity.services.tokens import same

log = logging.getLogger("cxmaturity.sso")


class SignInRefused(Exception):
    """A sign-in that must not happen: ``code`` names the case, ``message`` is for the person (a ``Phrase``, written
    in the page's language when shown), ``reason`` the log (English)."""

    def __init__(self, code: str, message: Phrase, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Client:
    """How this installation talks to one provider (the installation's or an organization's)."""

    key: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    redirect_uri: str
    timeout: float
    clock_skew: int


@dataclass(frozen=True)
class Pending:
    """What the browser must bring back from the provider: kept in a signed cookie of that browser only."""

    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, from a checked ID token (and the userinfo endpoint where it adds to it)."""

    issuer: str
    subject: str
    email: str
    email_verified: bool | None
    name: str
    claims: dict[str, Any] = field(default_factory=dict)


def _unreachable(client: Client, what: str, exc: Exception) -> SignInRefused:
    return SignInRefused(
        "provider_unreachable",
        phrase(
            N_(
                "%(provider)s could not be reached. Try again in a moment; if it keeps happening, tell your "
                "administrator."
            ),
            provider=client.name,
        ),
        f"{what} at {client.issuer} failed: {exc}",
    )


def fetch_discovery(client: Client) -> dict[str, Any]:
    """Fetch the provider's discovery document, refused when it names another issuer than the one configured."""
    url = client.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=client.timeout)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise _unreachable(client, "discovery", exc) from None
    # OpenID Connect Discovery 1.0, 4.3: the issuer in the document must be exactly the one the client was set up
    # with, or tokens from one provider could pass for another's.
    if document.get("issuer") != client.issuer:
        raise SignInRefused(
            "wrong_issuer",
            phrase(
                N_(
                    "Single sign-on with %(provider)s is set up wrongly: the provider calls itself by another name "
                    "than the one this site expects. Tell your administrator (the server log says what to change)."
                ),
                provider=client.name,
            ),
            f"the discovery document at {url} names the issuer {document.get('issuer')!r}, "
            f"but {client.key} is configured with {client.issuer!r}",
        )
    return document


#: Seconds a provider's discovery document is used before it is fetched again. Providers change their endpoints
#: rarely and announce it; a sign-in that fails to reach an endpoint fetches the document again at once anyway.
DISCOVERY_TTL = 3600.0
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_discovered_lock = threading.Lock()
T = TypeVar("T")


def discover(client: Client) -> tuple[dict[str, Any], bool]:
    """Return the provider's discovery document and whether it came from this process's cache (``DISCOVERY_TTL``).

    A cache, not state: any worker fetches the same public document, so several workers each keep their own copy.
    """
    now = time.monotonic()
    with _discovered_lock:
        found = _discovered.get(client.issuer)
    if found is not None and now - found[0] < DISCOVERY_TTL:
        return found[1], True
    document = fetch_discovery(client)
    with _discovered_lock:
        _discovered[client.issuer] = (now, document)
    return document, False


def forget_discovery(issuer: str) -> None:
    with _discovered_lock:
        _discovered.pop(issuer, None)


def with_discovery(client: Client, step: Callable[[dict[str, Any]], T]) -> T:
    """Run ``step`` with the provider's discovery document; when a cached document's endpoint cannot be reached,
    fetch the document again and run ``step`` once more (the provider may have moved the endpoint)."""
    document, cached = discover(client)
    try:
        return step(document)
    except SignInRefused as exc:
        if not cached or exc.code != "provider_unreachable":
            raise
        log.info("single sign-on: %s; fetching the discovery document of %s again", exc.reason, client.issuer)
    forget_discovery(client.issuer)
    return step(discover(client)[0])


def _oauth(client: Client) -> OAuth2Session:
    # Authlib's requests client: its httpx one warns that it is deprecated in favour of an httpx2 not in the lock.
    return OAuth2Session(
        client_id=client.client_id,
        client_secret=client.client_secret or None,
        token_endpoint_auth_method="client_secret_basic" if client.client_secret else "none",
        scope=client.scopes,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
    )


def authorization_url(client: Client, login_hint: str = "") -> tuple[str, Pending]:
    """Return where to send the browser to sign in, and the state, nonce and PKCE verifier it must come back with."""
    document, _ = discover(client)
    pending = Pending(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64))
    extra = {"login_hint": login_hint} if login_hint else {}
    with _oauth(client) as oauth:
        url, _ = oauth.create_authorization_url(
            document["authorization_endpoint"],
            state=pending.state,
            code_verifier=pending.verifier,
            nonce=pending.nonce,
            **extra,
        )
    return str(url), pending


def complete(client: Client, pending: Pending, params: dict[str, str]) -> Identity:
    """Check the provider's answer on the callback, exchange the code (with the PKCE verifier), check the ID token."""
    if error := params.get("error"):
        description = params.get("error_description", "")
        raise SignInRefused(
            "provider_error",
            phrase(
                N_("%(provider)s did not sign you in: %(description)s."), provider=client.name, description=description
            )
            if description
            else phrase(N_("%(provider)s did not sign you in (%(error)s)."), provider=client.name, error=error),
            f"the provider answered error={error!r} description={description!r}",
        )
    # The state proves that this browser started this sign-in (no one else's answer is accepted: login CSRF).
    if not same(params.get("state", ""), pending.state):
        raise SignInRefused(
            "state_mismatch",
            phrase(
                N_("This sign-in was not started in this browser, or was started again in another tab. Start it again.")
            ),
            "the state returned by the provider is not the one this browser's sign-in started with",
        )
    code = params.get("code", "")
    if not code:
        raise SignInRefused(
            "no_code",
            phrase(N_("%(provider)s sent no answer to sign you in with. Start again."), provider=client.name),
            "no code in the callback",
        )
    # The code is only spent once the token endpoint answers, so an exchange that could not reach it is tried again.
    token = with_discovery(client, lambda document: _exchange(client, pending, code, document))
    if "id_token" not in token:
        raise SignInRefused(
            "no_id_token",
            phrase(N_("%(provider)s answered without an ID token. Tell your administrator."), provider=client.name),
            "the token response has no id_token (is the 'openid' scope configured?)",
        )

    def checked(document: dict[str, Any]) -> dict[str, Any]:
        claims = _checked_claims(client, document, pending, token)
        claims.update(_userinfo(client, document, token, claims))
        return claims

    claims = with_discovery(client, checked)
    email = claims.get("email")
    verified = claims.get("email_verified")
    return Identity(
        issuer=client.issuer,
        subject=str(claims["sub"]),
        email=email.strip().lower() if isinstance(email, str) else "",
        email_verified=verified if isinstance(verified, bool) else None,
        name=str(claims.get("name") or "")[:200],
        claims=claims,
    )


def _exchange(client: Client, pending: Pending, code: str, document: dict[str, Any]) -> dict[str, Any]:
    with _oauth(client) as oauth:
        try:
            token: dict[str, Any] = oauth.fetch_token(
                document["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.verifier,
                timeout=client.timeout,
            )
        except OAuthError as exc:
            raise SignInRefused(
                "token_refused",
                phrase(
                    N_(
                        "%(provider)s refused to complete the sign-in. Start again; if it keeps happening, tell your "
                        "administrator."
                    ),
                    provider=client.name,
                ),
                f"the token endpoint refused the code: {exc.error} {exc.description or ''}".strip(),
            ) from None
        except requests.RequestException as exc:
            raise _unreachable(client, "the token exchange", exc) from None
    return token


def _keys(client: Client, document: dict[str, Any]) -> KeySet:
    try:
        response = httpx.get(document["jwks_uri"], timeout=client.timeout)
        response.raise_for_status()
        return KeySet.import_key_set(response.json())
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise _unreachable(client, "fetching the signing keys", exc) from None


def _checked_claims(
    client: Client, document: dict[str, Any], pending: Pending, token: dict[str, Any]
) -> dict[str, Any]:
    algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    try:
        decoded = jwt.decode(token["id_token"], _keys(client, document), registry=JWSRegistry(algorithms=algorithms))
    except (BadSignatureError, InvalidKeyIdError) as exc:
        raise SignInRefused(
            "bad_signature",
            phrase(
                N_(
                    "The answer from %(provider)s could not be verified, so you were not signed in. Tell your "
                    "administrator."
                ),
                provider=client.name,
            ),
            f"the ID token's signature does not verify with the provider's published keys: {exc}",
        ) from None
    except (JoseError, ValueError) as exc:
        raise SignInRefused(
            "bad_token",
            phrase(
                N_(
                    "The answer from %(provider)s could not be read, so you were not signed in. Tell your "
                    "administrator."
                ),
                provider=client.name,
            ),
            f"the ID token could not be decoded: {exc}",
        ) from None
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": client.issuer},
        "aud": {"essential": True, "value": client.client_id},
    }
    params = {"nonce": pending.nonce, "client_id": client.client_id, "access_token": token.get("access_token")}
    claims = CodeIDToken(decoded.claims, decoded.header, options, params)
    try:
        claims.validate(leeway=client.clock_skew)
    except ExpiredTokenError:
        raise _skewed(client, claims, "expired") from None
    except (InvalidClaimError, MissingClaimError) as exc:
        raise _claim_refusal(client, claims, exc) from None
    return dict(claims)


def _skewed(client: Client, claims: CodeIDToken, how: str) -> SignInRefused:
    import time

    now = int(time.time())
    return SignInRefused(
        "clock_skew",
        phrase(
            N_(
                "The sign-in from %(provider)s arrived already expired. The clock of this server or of the identity "
                "provider is wrong; tell your administrator."
            ),
            provider=client.name,
        )
        if how == "expired"
        else phrase(
            N_(
                "The sign-in from %(provider)s arrived dated in the future. The clock of this server or of the "
                "identity provider is wrong; tell your administrator."
            ),
            provider=client.name,
        ),
        f"the ID token is {how} (iat={claims.get('iat')}, exp={claims.get('exp')}, nbf={claims.get('nbf')}, "
        f"our time {now}, allowed skew {client.clock_skew} s, CXM_OIDC_CLOCK_SKEW_SECONDS)",
    )


def _claim_refusal(client: Client, claims: CodeIDToken, exc: InvalidClaimError | MissingClaimError) -> SignInRefused:
    claim = exc.claim
    if claim in ("iat", "nbf"):
        return _skewed(client, claims, "not yet valid")
    if claim == "nonce":
        return SignInRefused(
            "nonce_mismatch",
            phrase(
                N_(
                    "This sign-in answer does not belong to the sign-in this browser started (it may have been "
                    "replayed). Start again."
                )
            ),
            f"the ID token's nonce ({claims.get('nonce')!r}) is not the one this browser's sign-in sent",
        )
    if claim == "iss":
        return SignInRefused(
            "wrong_issuer",
            phrase(
                N_("The sign-in answer did not come from %(provider)s as configured. Tell your administrator."),
                provider=client.name,
            ),
            f"the ID token's issuer is {claims.get('iss')!r}, expected {client.issuer!r}",
        )
    if claim in ("aud", "azp"):
        return SignInRefused(
            "wrong_audience",
            phrase(
                N_("%(provider)s signed you in for another application. Tell your administrator."), provider=client.name
            ),
            f"the ID token is for {claims.get('aud')!r} (azp {claims.get('azp')!r}), not client {client.client_id!r}",
        )
    return SignInRefused(
        "bad_token",
        phrase(
            N_("The answer from %(provider)s was not acceptable, so you were not signed in. Tell your administrator."),
            provider=client.name,
        ),
        f"the ID token's claim {claim!r} is missing or invalid: {exc}",
    )


def _userinfo(
    client: Client, document: dict[str, Any], token: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """Claims the ID token lacks (many providers put e-mail and groups only in userinfo); never another subject."""
    endpoint = document.get("userinfo_endpoint")
    if not endpoint or not token.get("access_token") or "email" in claims:
        return {}
    try:
        response = httpx.get(
            endpoint, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=client.timeout
        )
        response.raise_for_status()
        info = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise _unreachable(client, "the userinfo request", exc) from None
    if not isinstance(info, dict) or info.get("sub") != claims.get("sub"):
        raise SignInRefused(
            "bad_token",
            phrase(
                N_(
                    "The answer from %(provider)s was not acceptable, so you were not signed in. Tell your "
                    "administrator."
                ),
                provider=client.name,
            ),
            "the userinfo response names another subject than the ID token",
        )
    return {key: value for key, value in info.items() if key not in claims}

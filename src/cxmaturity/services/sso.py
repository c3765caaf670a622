"""Single sign-on: which providers exist, who they may sign in, and what roles their groups give (docs/sso.md).

Two kinds of provider: the installation's (``CXM_OIDC_*``, set by whoever runs the server) and an organization's own
(stored, set by its owners). They differ in how far they are trusted:

- The installation's provider may sign in an existing account whose address it vouches for (``email_verified``),
  and its groups may give roles in any organization (``CXM_OIDC_GROUP_ROLES``).
- An organization's provider is set up by that organization's owner, who could make it claim anyone's address. So it
  never takes over an existing account by its address: an account is connected to it only by signing in to it while
  signed in to the account already. Its groups give roles only in its own organization, and a person in none of the
  mapped groups is refused.

Roles follow the groups at every sign-in (raised or lowered), except that the last owner is never demoted by it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Phrase, phrase
from cxmaturity.services import audit, sealing
from cxmaturity.services.access import Actor, require_role
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.oidc import Client, Identity, SignInRefused
from cxmaturity.settings import Settings
from cxmaturity.storage.tables import (
    ROLES,
    Membership,
    Organization,
    SsoIdentity,
    SsoProvider,
    User,
    UserSession,
)

log = logging.getLogger("cxmaturity.sso")

INSTALLATION = "installation"
#: Marks a client secret sealed with CXM_SECRET_KEY (``services.sealing``); a stored value without it was saved
#: before secrets were sealed and is used as it is until the settings are saved again.
SEALED = "sealed:"
#: The longest client secret taken: sealed, it must fit the 500 characters stored.
MAX_SECRET = 300


def seal_secret(settings: Settings, secret: str) -> str:
    """Return the client secret as stored: sealed, so that a copy of the database alone does not give it away."""
    return SEALED + sealing.seal(settings.secret_key, secret) if secret else ""


def open_secret(settings: Settings, stored: str | None) -> str | None:
    """Return the stored client secret in clear; None when it cannot be opened (CXM_SECRET_KEY changed)."""
    if not stored:
        return ""
    if not stored.startswith(SEALED):
        return stored
    return sealing.unseal(settings.secret_key, stored.removeprefix(SEALED))


#: Where every provider sends the browser back; register ``CXM_BASE_URL`` + this at the provider.
CALLBACK_PATH = "/sso/callback"


@dataclass(frozen=True)
class Provider:
    """A provider as this installation uses it: how to reach it, and what its groups give."""

    client: Client
    groups_claim: str
    #: group -> organization id -> role.
    group_roles: dict[str, dict[int, str]]
    #: None for the installation's provider.
    organization_id: int | None

    @property
    def key(self) -> str:
        return self.client.key

    @property
    def requires_group(self) -> bool:
        return self.organization_id is not None or bool(self.group_roles)


def _client(settings: Settings, key: str, name: str, issuer: str, client_id: str, secret: str, scopes: str) -> Client:
    return Client(
        key=key,
        name=name,
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        scopes=scopes,
        redirect_uri=settings.base_url.rstrip("/") + CALLBACK_PATH,
        timeout=settings.oidc_timeout_seconds,
        clock_skew=settings.oidc_clock_skew_seconds,
    )


def installation_provider(settings: Settings) -> Provider | None:
    """Return the installation's provider, or None when ``CXM_OIDC_ISSUER`` is not set."""
    if not settings.oidc_issuer:
        return None
    client = _client(
        settings,
        INSTALLATION,
        settings.oidc_name,
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
        settings.oidc_scopes,
    )
    return Provider(client, settings.oidc_groups_claim, settings.oidc_group_roles, None)


def organization_key(organization_id: int) -> str:
    return f"org:{organization_id}"


def has_own_provider(db: Session, organization_id: int) -> bool:
    return db.scalar(select(SsoProvider.id).where(SsoProvider.organization_id == organization_id)) is not None


def _readable_secret(settings: Settings, row: SsoProvider) -> str:
    secret = open_secret(settings, row.client_secret)
    if secret is None:
        # The provider then refuses the code (token_refused); the log says why, the settings page asks for the secret.
        log.error(
            "sso: the client secret of organization %s cannot be opened: CXM_SECRET_KEY changed since it was saved; "
            "enter the secret again in the organization's single sign-on settings",
            row.organization_id,
        )
        return ""
    return secret


def organization_provider(db: Session, settings: Settings, organization_id: int) -> Provider | None:
    """Return the organization's own provider, or None."""
    row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == organization_id))
    if row is None:
        return None
    client = _client(
        settings,
        organization_key(organization_id),
        row.name,
        row.issuer,
        row.client_id,
        _readable_secret(settings, row),
        row.scopes,
    )
    roles = {group: {organization_id: role} for group, role in row.group_roles.items()}
    return Provider(client, row.groups_claim, roles, organization_id)


def provider_for(db: Session, settings: Settings, key: str) -> Provider | None:
    """Return the provider a sign-in was started with (its key is in the browser's signed flow cookie)."""
    if key == INSTALLATION:
        return installation_provider(settings)
    if key.startswith("org:") and key[4:].isdigit():
        return organization_provider(db, settings, int(key[4:]))
    return None


# --- signing in --------------------------------------------------------------------------------------------------


def _groups(provider: Provider, identity: Identity) -> list[str]:
    value = identity.claims.get(provider.groups_claim, [])
    if isinstance(value, str):
        return [value]
    return [str(group) for group in value] if isinstance(value, list) else []


def roles_from_groups(provider: Provider, groups: list[str]) -> dict[int, str]:
    """Return the highest role the groups give in each organization."""
    granted: dict[int, str] = {}
    for group in groups:
        for organization_id, role in provider.group_roles.get(group, {}).items():
            if organization_id not in granted or ROLES.index(role) > ROLES.index(granted[organization_id]):
                granted[organization_id] = role
    return granted


def sign_in(db: Session, provider: Provider, identity: Identity, linking_user_id: int | None = None) -> User:
    """Return the account the identity signs in to (created on first sign-in), with roles set from its groups.

    Raises SignInRefused for a person the provider may not sign in here; nothing is written then.
    """
    groups = _groups(provider, identity)
    granted = roles_from_groups(provider, groups)
    if provider.requires_group and not granted:
        shown = ", ".join(groups[:10]) or "none"
        raise SignInRefused(
            "unknown_group",
            phrase(
                N_(
                    "%(provider)s signed you in, but none of your groups gives access here (your groups: %(groups)s). "
                    "Ask your administrator to add you to a group that does."
                ),
                provider=provider.client.name,
                groups=shown,
            ),
            f"{identity.email or identity.subject} has no group mapped to a role by {provider.key} "
            f"(claim {provider.groups_claim!r}: {groups!r})",
        )
    if identity.email_verified is False:
        raise SignInRefused(
            "email_unverified",
            phrase(
                N_("%(provider)s has not confirmed your e-mail address. Confirm it there, then sign in again."),
                provider=provider.client.name,
            ),
            f"{identity.email!r} from {provider.key} has email_verified=false",
        )
    user = _account(db, provider, identity, linking_user_id)
    for organization_id, role in granted.items():
        _grant(db, provider, user, organization_id, role)
    audit.record(
        db,
        "sso.sign_in",
        organization_id=provider.organization_id,
        user_id=user.id,
        target=user.email,
        provider=provider.key,
    )
    return user


def _account(db: Session, provider: Provider, identity: Identity, linking_user_id: int | None) -> User:
    known = db.scalar(
        select(SsoIdentity).where(SsoIdentity.issuer == identity.issuer, SsoIdentity.subject == identity.subject)
    )
    now = datetime.now(UTC)
    if known is not None:
        if linking_user_id is not None and known.user_id != linking_user_id:
            raise SignInRefused(
                "identity_taken",
                phrase(N_("This identity-provider account is already connected to another account here.")),
                f"{provider.key} subject {identity.subject!r} belongs to user {known.user_id}, not {linking_user_id}",
            )
        known.last_used_at = now
        user = db.get(User, known.user_id)
        assert user is not None  # the foreign key deletes identities with their account
        return user
    if linking_user_id is not None:
        user = db.get(User, linking_user_id)
        assert user is not None
        _connect(db, provider, identity, user, now)
        return user
    if not identity.email:
        raise SignInRefused(
            "no_email",
            phrase(
                N_(
                    "%(provider)s did not tell us your e-mail address, which an account here needs. Tell your "
                    "administrator (the 'email' scope or claim is missing)."
                ),
                provider=provider.client.name,
            ),
            f"no email claim for subject {identity.subject!r} from {provider.key}",
        )
    existing = db.scalar(select(User).where(User.email == identity.email))
    if existing is not None:
        # Only the installation's provider, set up by whoever runs the server, is trusted to vouch for an address
        # that already has an account; an organization's owner could make his provider claim anyone's.
        if provider.organization_id is None and identity.email_verified:
            _connect(db, provider, identity, existing, now)
            return existing
        raise SignInRefused(
            "account_exists",
            phrase(
                N_(
                    "An account with the address %(email)s exists already. Sign in with its password first; you will "
                    "then be asked to connect it."
                ),
                email=identity.email,
            ),
            f"{identity.email} has an account not yet connected to {provider.key}; connecting needs a signed-in "
            "browser" + ("" if provider.organization_id is not None else " or a verified address"),
        )
    user = User(email=identity.email, name=identity.name, password_hash="")  # no password: SSO only
    db.add(user)
    db.flush()
    audit.record(db, "user.sign_up", organization_id=provider.organization_id, user_id=user.id, via=provider.key)
    _connect(db, provider, identity, user, now)
    return user


def _connect(db: Session, provider: Provider, identity: Identity, user: User, now: datetime) -> None:
    db.add(SsoIdentity(issuer=identity.issuer, subject=identity.subject, user_id=user.id, last_used_at=now))
    audit.record(db, "sso.connect", organization_id=provider.organization_id, user_id=user.id, provider=provider.key)


def _grant(db: Session, provider: Provider, user: User, organization_id: int, role: str) -> None:
    if db.get(Organization, organization_id) is None:
        log.warning("CXM_OIDC_GROUP_ROLES names organization %s, which does not exist; skipped", organization_id)
        return
    membership = db.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.organization_id == organization_id)
    )
    if membership is None:
        db.add(Membership(user_id=user.id, organization_id=organization_id, role=role))
    elif membership.role == role:
        return
    elif membership.role == "owner" and _owners(db, organization_id) == 1:
        log.warning(
            "sso: %s's groups give %s in organization %s, but they are its last owner; kept owner",
            user.email,
            role,
            organization_id,
        )
        return
    else:
        membership.role = role
    audit.record(db, "membership.sso", organization_id=organization_id, user_id=user.id, target=user.email, role=role)


def _owners(db: Session, organization_id: int) -> int:
    return len(
        db.scalars(
            select(Membership.id).where(Membership.organization_id == organization_id, Membership.role == "owner")
        ).all()
    )


# --- password sign-in ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordRefusal:
    #: Shown on the sign-in page in its language.
    message: Phrase
    #: Where the person's organization signs in (its own provider, or the installation's).
    signin_url: str


def password_refusal(db: Session, settings: Settings, user: User) -> PasswordRefusal | None:
    """Return why this account may not sign in with its password, or None (break-glass owners are let through)."""
    row = db.execute(
        select(Organization.name, SsoProvider.organization_id)
        .join(SsoProvider, SsoProvider.organization_id == Organization.id)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id, SsoProvider.password_signin.is_(False))
        .order_by(Organization.name)
        .limit(1)
    ).first()
    if row is None:
        return None
    name, organization_id = row
    if user.email in settings.break_glass_list():
        log.warning("sso: break-glass password sign-in by %s (organization %s requires SSO)", user.email, name)
        audit.record(db, "sso.break_glass", organization_id=organization_id, user_id=user.id, target=user.email)
        return None
    return PasswordRefusal(
        phrase(
            N_(
                "%(organization)s requires single sign-on: sign in with your organization's identity provider "
                "instead of a password."
            ),
            organization=name,
        ),
        start_path(organization_id),
    )


def start_path(organization_id: int | None) -> str:
    """Return the address that starts a sign-in with the organization's provider (or the installation's)."""
    return "/sso/start" if organization_id is None else f"/sso/orgs/{organization_id}"


# --- an organization's settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsView:
    """What an owner sees of the organization's provider: everything but the secret (only whether one is set)."""

    configured: bool
    name: str
    issuer: str
    client_id: str
    secret_set: bool
    scopes: str
    groups_claim: str
    group_roles_text: str
    password_signin: bool
    signin_path: str
    callback_url: str
    installation_name: str | None


def settings_view(db: Session, settings: Settings, actor: Actor, organization_id: int) -> SettingsView:
    require_role(db, actor, organization_id, "owner")
    row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == organization_id))
    installation = installation_provider(settings)
    return SettingsView(
        configured=row is not None,
        name=row.name if row else "",
        issuer=row.issuer if row else "",
        client_id=row.client_id if row else "",
        secret_set=bool(row and open_secret(settings, row.client_secret)),
        scopes=row.scopes if row else "openid email profile",
        groups_claim=row.groups_claim if row else "groups",
        group_roles_text="\n".join(f"{group} = {role}" for group, role in (row.group_roles if row else {}).items()),
        password_signin=row.password_signin if row else True,
        signin_path=start_path(organization_id),
        callback_url=settings.base_url.rstrip("/") + CALLBACK_PATH,
        installation_name=installation.client.name if installation else None,
    )


def parse_group_roles(text: str) -> dict[str, str]:
    """Read ``group = role`` lines (blank lines and ``#`` comments skipped); errors name the line."""
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        group, sep, role = line.rpartition("=")
        group, role = group.strip(), role.strip()
        if not sep or not group:
            problems.append(f"line {number}: write 'group = role', e.g. 'cx-leads = owner'")
        elif role not in ROLES:
            problems.append(f"line {number}: {role!r} is not a role ({', '.join(ROLES)})")
        elif group in mapping:
            problems.append(f"line {number}: the group {group!r} is mapped twice")
        else:
            mapping[group[:200]] = role
    if problems:
        raise Invalid(N_("the group mapping has mistakes"), field="group_roles", details=problems)
    return mapping


def save_settings(
    db: Session,
    settings: Settings,
    actor: Actor,
    organization_id: int,
    *,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    scopes: str,
    groups_claim: str,
    group_roles: str,
) -> SsoProvider:
    """Create or change the organization's provider (owners). An empty secret keeps the stored one."""
    require_role(db, actor, organization_id, "owner")
    issuer, client_id, name = issuer.strip(), client_id.strip(), name.strip()
    if not issuer.startswith(("https://", "http://")) or " " in issuer:
        raise Invalid(N_("the issuer is the provider's address, starting with https://"), field="issuer")
    if not client_id:
        raise Invalid(N_("enter the client id the provider gave this site"), field="client_id")
    scope_list = scopes.split()
    if "openid" not in scope_list:
        raise Invalid(
            N_("the scopes must include 'openid' (it is what makes the sign-in OpenID Connect)"), field="scopes"
        )
    if len(client_secret.strip()) > MAX_SECRET:
        raise Invalid(
            phrase(N_("the client secret is longer than %(max_secret)s characters"), max_secret=MAX_SECRET),
            field="client_secret",
        )
    mapping = parse_group_roles(group_roles)
    if not mapping:
        raise Invalid(N_("map at least one group to a role: without one, no one could sign in"), field="group_roles")
    row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == organization_id))
    if row is None:
        row = SsoProvider(organization_id=organization_id, password_signin=True)
        db.add(row)
    row.name = name[:100] or "single sign-on"
    row.issuer = issuer[:500]
    row.client_id = client_id[:200]
    if client_secret.strip():
        row.client_secret = seal_secret(settings, client_secret.strip())
    elif row.client_secret is None:
        row.client_secret = ""
    elif not row.client_secret.startswith(SEALED):
        row.client_secret = seal_secret(settings, row.client_secret)  # saved before secrets were sealed
    row.scopes = " ".join(scope_list)[:300]
    row.groups_claim = groups_claim.strip()[:100] or "groups"
    row.group_roles = mapping
    row.updated_at = datetime.now(UTC)
    # The secret is never in the audit log: only that the settings changed and what they map.
    audit.record(db, "sso.settings", organization_id=organization_id, user_id=actor.user_id, issuer=row.issuer)
    return row


def remove_settings(db: Session, actor: Actor, organization_id: int) -> None:
    require_role(db, actor, organization_id, "owner")
    row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == organization_id))
    if row is None:
        raise NotFound(N_("this organization has no single sign-on set up"), field="name")
    db.delete(row)
    audit.record(db, "sso.remove", organization_id=organization_id, user_id=actor.user_id)


def set_password_signin(db: Session, actor: Actor, organization_id: int, allowed: bool, session: UserSession) -> int:
    """Allow or refuse password sign-in for the organization's members; return how many sessions were ended.

    Refusing needs the owner to be signed in through single sign-on right now: a provider that does not work would
    otherwise lock every member out, the owner included. Members' password sessions end at once.
    """
    require_role(db, actor, organization_id, "owner")
    row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == organization_id))
    if row is None:
        raise Conflict(N_("set up single sign-on first"), field="password_signin")
    if not allowed and not session.method.startswith("sso:"):
        raise Conflict(
            N_(
                "sign in through single sign-on first (use the sign-in link below): turning "
                "passwords off while it does not work would lock everyone out"
            ),
            field="password_signin",
        )
    row.password_signin = allowed
    ended = 0
    if not allowed:
        members = select(Membership.user_id).where(Membership.organization_id == organization_id)
        result = db.execute(
            delete(UserSession).where(UserSession.user_id.in_(members), UserSession.method == "password")
        )
        ended = int(getattr(result, "rowcount", 0) or 0)
    audit.record(db, "sso.password_signin", organization_id=organization_id, user_id=actor.user_id, allowed=allowed)
    return ended

"""Accounts: sign-up, sign-in with argon2id password hashes, browser sessions and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import audit
from cxmaturity.services.errors import Conflict, Invalid
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.storage.database import apart, read_only
from cxmaturity.storage.tables import ApiToken, User, UserSession

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the e-mail is unknown makes a failed sign-in take the same time either way.
_DUMMY_HASH = _hasher.hash("not a real password")


def normalize_email(email: str) -> str:
    return email.strip().lower()


#: Long enough to pass the length rule, yet among the first guesses of anyone who tries (keyboard rows, counting,
#: the word "password" with digits). Compared without case, spaces or trailing digits and punctuation.
GUESSED_FIRST = frozenset(
    {
        "password",
        "passw0rd",
        "passwort",
        "motdepasse",
        "qwertyuiop",
        "qwertzuiop",
        "azertyuiop",
        "asdfghjkl",
        "zxcvbnm",
        "1qaz2wsx3edc",
        "abcdefghij",
        "iloveyou",
        "letmein",
        "welcome",
        "administrator",
        "changeme",
        "customerexperience",
        "cxmaturity",
    }
)


def check_password_rules(password: str, email: str = "") -> None:
    """Length first (it matters most), then the passwords that guessing tries first; no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            phrase(
                N_("the password needs at least %(min_password_length)s characters"),
                min_password_length=MIN_PASSWORD_LENGTH,
            ),
            field="password",
        )
    if password.strip() != password or not password.strip():
        raise Invalid(N_("the password must not start or end with spaces"), field="password")
    if len(set(password.lower())) < 5:
        raise Invalid(N_("the password repeats too few different characters; use a longer phrase"), field="password")
    folded = "".join(password.lower().split()).rstrip("0123456789!?.#*-_")
    digits = "01234567890123456789"
    if folded in GUESSED_FIRST or password in digits or password in digits[::-1]:
        raise Invalid(N_("this password is among the first that anyone guesses; choose another"), field="password")
    local = normalize_email(email).split("@")[0]
    if len(local) >= 4 and local in password.lower():
        raise Invalid(N_("the password must not contain your e-mail address"), field="password")


def hash_password(password: str, email: str = "") -> str:
    check_password_rules(password, email)
    return _hasher.hash(password)


def sign_up(db: Session, email: str, password: str, name: str = "") -> User:
    email = normalize_email(email)
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise Invalid(N_("enter a valid e-mail address"), field="email")
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(N_("an account with this e-mail address exists; sign in instead"), field="email")
    user = User(email=email, name=name.strip()[:200], password_hash=hash_password(password, email))
    db.add(user)
    db.flush()
    audit.record(db, "user.sign_up", organization_id=None, user_id=user.id)
    return user


def register(db: Session, email: str, password: str, name: str = "") -> User | None:
    """Create an account for sign-up, or return None when the address has one already.

    Unlike :func:`sign_up` it does not say so: the password is hashed either way (the same work, so the same time),
    and the caller answers both alike, so that sign-up cannot be used to find out who has an account.
    """
    email = normalize_email(email)
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise Invalid(N_("enter a valid e-mail address"), field="email")
    password_hash = hash_password(password, email)
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        return None
    user = User(email=email, name=name.strip()[:200], password_hash=password_hash)
    db.add(user)
    db.flush()
    audit.record(db, "user.sign_up", organization_id=None, user_id=user.id)
    return user


def authenticate(db: Session, email: str, password: str) -> User | None:
    """Return the user when the password matches; None otherwise (never says which part was wrong)."""
    user = db.scalar(select(User).where(User.email == normalize_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(db: Session, user: User, days: int, method: str = "password") -> tuple[str, UserSession]:
    """Create a new session (a fresh token at every sign-in, so a planted cookie is never reused).

    ``method`` records how the person signed in ("password", or "sso:" and the provider's key).
    """
    token = new_token()
    session = UserSession(
        token_hash=digest(token),
        user_id=user.id,
        csrf_token=new_token(),
        expires_at=datetime.now(UTC) + timedelta(days=days),
        method=method,
    )
    db.add(session)
    return token, session


def session_for(db: Session, token: str) -> UserSession | None:
    found = db.scalar(select(UserSession).where(UserSession.token_hash == digest(token)))
    if found is None:
        return None
    expires = found.expires_at if found.expires_at.tzinfo else found.expires_at.replace(tzinfo=UTC)
    if expires < datetime.now(UTC):
        return None
    return found


def end_session(db: Session, token: str) -> None:
    db.execute(delete(UserSession).where(UserSession.token_hash == digest(token)))


def create_api_token(db: Session, user_id: int, name: str = "") -> str:
    """Return a new API token for the user (shown once; only its digest is kept)."""
    token = "cxm_" + new_token()
    db.add(ApiToken(token_hash=digest(token), prefix=token[:10], name=name[:100], user_id=user_id))
    audit.record(db, "api_token.create", organization_id=None, user_id=user_id, target=token[:10])
    return token


def user_for_api_token(db: Session, token: str) -> User | None:
    found = db.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if found is None:
        return None
    if not read_only(db):
        found.last_used_at = func.now()
    elif (
        found.last_used_at is None
        or _naive(found.last_used_at) < datetime.now(UTC).replace(tzinfo=None) - LAST_USED_STEP
    ):
        # A reading request may not write in its own transaction (on SQLite it would wait for the writer lock):
        # the time is recorded by a short write of its own, at most once per LAST_USED_STEP.
        with apart(db) as connection:
            connection.execute(update(ApiToken).where(ApiToken.id == found.id).values(last_used_at=func.now()))
    return db.get(User, found.user_id)


#: How finely reading requests record when an API token was last used.
LAST_USED_STEP = timedelta(minutes=1)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment

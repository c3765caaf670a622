"""Every setting in one place, read from the environment (prefix ``CXM_``) with safe defaults.

Secrets never have a usable default: outside demo and test mode the server refuses to start without a real
``CXM_SECRET_KEY``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Values that people paste from examples; a server with one of them as its secret is not secret.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "development", "test", "demo"})
MIN_SECRET_LENGTH = 32


def default_data_dir() -> Path:
    """Return the per-user data folder (XDG_DATA_HOME or ~/.local/share) for the default SQLite database."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cx-maturity"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXM_", extra="ignore")

    #: SQLAlchemy URL; empty means SQLite in the data folder (``cxm --db PATH`` overrides it).
    database_url: str = ""
    data_dir: Path = Field(default_factory=default_data_dir)
    #: Signs CSRF tokens for respondents; must be a long random value in production.
    secret_key: str = ""
    #: Demo mode (``cxm demo``) and tests may run with a generated secret; production may not.
    demo: bool = False
    #: Mark cookies Secure. Browsers accept Secure cookies on http://localhost and 127.0.0.1, so this stays on.
    cookie_secure: bool = True
    session_days: int = 14
    #: The public address of the app, used in invitation links and e-mails.
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "cx-maturity@localhost"
    default_min_group_size: int = 3
    #: E-mails to respondents go out through the job queue (services/jobs.py): a message that failed for a reason
    #: that may pass (no connection, a 4xx answer) is tried again after ``mail_retry_seconds``, four times longer
    #: each time (capped at six hours), at most ``mail_max_attempts`` times in all; a 5xx answer is final (bounced).
    mail_retry_seconds: int = Field(default=60, ge=0, le=86_400)
    mail_max_attempts: int = Field(default=8, ge=1, le=50)
    #: Seconds after which a message claimed by a worker that has stopped (killed, host lost) is taken back: sent
    #: again if the worker had not handed it to the mail server, counted as sent if it had. Keep it well above the
    #: SMTP timeout (15 s per step), so that a slow but living worker is never overtaken.
    queue_lease_seconds: int = Field(default=300, ge=1, le=86_400)
    #: How often a worker looks for scheduled work (openings, reminders, closings) and for messages due, in seconds.
    queue_poll_seconds: float = Field(default=60.0, gt=0, le=3600)
    #: Threads per worker for requests that touch the database.
    threads: int = Field(default=12, ge=1, le=200)
    #: Threads per worker saving respondents' pages, a pool of their own: a few keep the database and the
    #: interpreter busy without queueing behind one another (more only lengthen the slowest saves), and slow pages
    #: (reports, plans) on the main pool never hold up a respondent.
    save_threads: int = Field(default=3, ge=1, le=64)
    #: Reports, exports, framework uploads and answer imports per worker at once (web/heavy.py), on threads of their
    #: own; at most ``heavy_queue`` more wait for a turn, and any further one is answered 503 with Retry-After.
    heavy_threads: int = Field(default=2, ge=1, le=64)
    heavy_queue: int = Field(default=8, ge=0, le=1000)
    #: Failed sign-ins per account within the window before the account's sign-in is refused until the window
    #: has passed; a client address may fail four times as often (several accounts behind one office address).
    signin_max_failures: int = Field(default=5, ge=1)
    signin_window_minutes: int = Field(default=15, ge=1)
    #: Unknown invitation links (or API tokens) per client address within the window before it is refused.
    link_max_failures: int = Field(default=20, ge=1)
    link_window_minutes: int = Field(default=10, ge=1)
    #: Sign-ups per client address within the window (every attempt counts, whatever its outcome).
    signup_max_per_address: int = Field(default=10, ge=1)
    signup_window_minutes: int = Field(default=60, ge=1)
    #: Public quick evaluations scored per client address within the window (each is scored with posterior draws).
    quick_max_per_address: int = Field(default=30, ge=1)
    quick_window_minutes: int = Field(default=60, ge=1)
    #: Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or networks, separated by
    #: commas ("127.0.0.1", "10.0.0.0/8"). None by default: any local process could otherwise claim to be any
    #: client, and rotate the header past every per-address limit.
    trusted_proxies: str = ""
    #: Upper bounds on what one request may bring in.
    max_upload_bytes: int = 5 * 1024 * 1024
    max_invitations_per_request: int = 1000
    #: Most indicators in an uploaded framework (the built-in ones have 60 to 100); reports, results and exports
    #: grow with them.
    max_framework_indicators: int = Field(default=500, ge=1)
    #: Most values (respondents x indicators of the framework) in one answers import.
    max_import_values: int = Field(default=200_000, ge=1)
    #: An answers file larger than this (bytes) is imported by the job queue, with a progress page (202 and a job
    #: in the API); a smaller one within the request (docs/reliability.md).
    import_job_bytes: int = Field(default=256 * 1024, ge=0)
    #: Peer benchmarks show a cohort only with at least this many organizations besides the one asking (never < 3).
    benchmark_min_cohort: int = 5
    #: This installation's name in exported benchmark datasets; empty: the host name of CXM_BASE_URL.
    installation_name: str = Field(default="", max_length=200)

    #: Single sign-on for the whole installation (docs/sso.md): an OpenID Connect provider that anyone may sign in
    #: with. Empty issuer: none. The client secret comes from the environment only, never from a form.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    #: The provider's name on the sign-in button ("Sign in with ...").
    oidc_name: str = Field(default="single sign-on", max_length=100)
    oidc_scopes: str = "openid email profile"
    #: The ID token (or userinfo) claim that lists the person's groups.
    oidc_groups_claim: str = "groups"
    #: Groups of the installation's provider that give roles in organizations, as JSON:
    #: ``{"cx-leads": {"3": "owner"}, "cx-team": {"3": "facilitator"}}`` (group -> organization id -> role). When set,
    #: a person in none of these groups is not signed in.
    oidc_group_roles: dict[str, dict[int, str]] = Field(default_factory=dict)
    #: How far the provider's clock may be from ours (seconds) before an ID token counts as expired or not yet valid.
    oidc_clock_skew_seconds: int = Field(default=60, ge=0, le=600)
    #: Seconds to wait for the provider (discovery, keys, token exchange).
    oidc_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    #: Installation owners who may still sign in with a password when an organization of theirs has turned passwords
    #: off ("break glass"), as a comma-separated list of e-mail addresses. Each such sign-in is logged and audited.
    sso_break_glass: str = ""

    @field_validator("benchmark_min_cohort")
    @classmethod
    def _min_cohort(cls, value: int) -> int:
        from cxmaturity.benchmarks.limits import check_min_cohort

        try:
            return check_min_cohort(value)
        except ValueError as exc:
            raise ValueError(f"CXM_BENCHMARK_MIN_COHORT: {exc}") from None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        import ipaddress

        for entry in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"CXM_TRUSTED_PROXIES: {entry!r} is not an address or network") from None
        return value

    @field_validator("oidc_group_roles")
    @classmethod
    def _group_roles(cls, value: dict[str, dict[int, str]]) -> dict[str, dict[int, str]]:
        from cxmaturity.storage.tables import ROLES

        for group, grants in value.items():
            for organization_id, role in grants.items():
                if role not in ROLES:
                    raise ValueError(
                        f"CXM_OIDC_GROUP_ROLES: group {group!r}, organization {organization_id}: {role!r} is not a "
                        f"role ({', '.join(ROLES)})"
                    )
        return value

    def break_glass_list(self) -> set[str]:
        """Return CXM_SSO_BREAK_GLASS as a set of lower-case addresses."""
        return {part.strip().lower() for part in self.sso_break_glass.split(",") if part.strip()}

    def proxy_list(self) -> list[str]:
        """Return CXM_TRUSTED_PROXIES as a list (empty: no forwarded header is believed)."""
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'cx-maturity.db'}"

    def source_name(self) -> str:
        """Return the name exported benchmark datasets give as their source."""
        from urllib.parse import urlsplit

        return self.installation_name.strip() or urlsplit(self.base_url).hostname or "cx-maturity"

    def secret_problem(self) -> str | None:
        """Return why the secret key is unusable outside demo mode, or None when it is fine."""
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            return "CXM_SECRET_KEY is missing or a placeholder; set it to a long random value (openssl rand -hex 32)"
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            return f"CXM_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters; use a long random value"
        return None


def database_url_for(db: str | None) -> str | None:
    """Turn a ``--db`` value (a SQLAlchemy URL or a path to a SQLite file) into a URL; None when not given."""
    if not db:
        return None
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

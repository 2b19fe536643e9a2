"""Users, API tokens and browser sessions (audited like every change)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from rrall.errors import ConflictError, NotFoundError
from rrall.store.passwords import check_password, hash_password, new_token, token_sha256
from rrall.store.tables import ApiToken, Session, User
from rrall.store.transactions import Transactions, now

ROLES = ("viewer", "clinician", "admin")
_DUMMY_HASH = hash_password("not a real password")

# A token's user is looked up once per this many seconds, not on every call: the lookup
# was a quarter of an API call's time. The price: a token revoked (or a user disabled)
# from another process, e.g. `rrall users revoke-tokens`, still works for up to this long.
TOKEN_SECONDS = 5.0
TOKENS_KEPT = 1024


class Accounts(Transactions):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # token SHA-256 -> (monotonic time it was read, its user); valid tokens only
        self._tokens: dict[str, tuple[float, User]] = {}

    def add_user(self, username: str, password: str, role: str, actor: str = "cli") -> User:
        if role not in ROLES:
            raise ConflictError(f"role {role!r} is not one of {', '.join(ROLES)}")
        user = User(username=username, password_hash=hash_password(password), role=role,
                    created_at=now(), disabled=False)
        try:
            with self._tx() as s:
                s.add(user)
                s.flush()
                self._audit(s, actor, "user.add", "user", user.id, role=role)
        except IntegrityError:
            raise ConflictError(f"user {username!r} already exists") from None
        return user

    def count_users(self) -> int:
        with self._tx() as s:
            return s.scalar(select(func.count(User.id))) or 0

    def users(self) -> Sequence[User]:
        with self._tx() as s:
            return s.scalars(select(User).order_by(User.username)).all()

    def authenticate(self, username: str, password: str) -> User | None:
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            # The same scrypt work whether or not the user exists: no timing hint.
            matches = check_password(password, user.password_hash if user else _DUMMY_HASH)
            ok = user is not None and not user.disabled and matches
            self._audit(s, username if ok else "anonymous", "login" if ok else "login.failed", "user",
                        user.id if user else None)
            return user if ok else None

    def login_throttled(self, username: str) -> None:
        """A login refused unchecked, after too many failures for the name (no scrypt work)."""
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            self._audit(s, "anonymous", "login.throttled", "user", user.id if user else None)

    def issue_token(self, username: str, name: str, actor: str = "cli") -> str:
        token = new_token()
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFoundError("user", username)
            s.add(ApiToken(user_id=user.id, token_sha256=token_sha256(token), name=name, created_at=now()))
            self._audit(s, actor, "token.issue", "user", user.id, name=name)
        return token

    def revoke_tokens(self, username: str, actor: str = "cli") -> int:
        try:
            return self._revoke_tokens(username, actor)
        finally:
            self._tokens.clear()  # after the commit: no call in between can keep the old answer

    def _revoke_tokens(self, username: str, actor: str) -> int:
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFoundError("user", username)
            live = (ApiToken.user_id == user.id) & ApiToken.revoked_at.is_(None)
            done = s.execute(update(ApiToken).where(live).values(revoked_at=now()))
            self._audit(s, actor, "token.revoke", "user", user.id)
            return int(getattr(done, "rowcount", 0))

    def set_disabled(self, username: str, disabled: bool, actor: str = "cli") -> None:
        try:
            self._set_disabled(username, disabled, actor)
        finally:
            self._tokens.clear()

    def _set_disabled(self, username: str, disabled: bool, actor: str) -> None:
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFoundError("user", username)
            user.disabled = disabled
            if disabled:
                s.execute(delete(Session).where(Session.user_id == user.id))
            self._audit(s, actor, "user.disable" if disabled else "user.enable", "user", user.id)

    def set_password(self, username: str, password: str, actor: str = "cli") -> None:
        """A new password; the user's open sessions end (their tokens are kept: revoke them apart)."""
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFoundError("user", username)
            user.password_hash = hash_password(password)
            s.execute(delete(Session).where(Session.user_id == user.id))
            self._audit(s, actor, "user.password", "user", user.id)

    def user_for_token(self, token: str) -> User | None:
        digest = token_sha256(token)
        seen = self._tokens.get(digest)
        if seen is not None and time.monotonic() - seen[0] < TOKEN_SECONDS:
            return seen[1]
        with self._tx() as s:
            user = s.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id).where(
                ApiToken.token_sha256 == digest, ApiToken.revoked_at.is_(None), User.disabled.is_(False)))
        if user is None:
            self._tokens.pop(digest, None)
            return None
        if len(self._tokens) >= TOKENS_KEPT:
            self._tokens.clear()
        self._tokens[digest] = (time.monotonic(), user)
        return user

    def open_session(self, user: User, token_hmac: str, hours: int) -> None:
        with self._tx() as s:
            s.add(Session(user_id=user.id, token_hmac=token_hmac, created_at=now(),
                          expires_at=now() + timedelta(hours=hours)))

    def user_for_session(self, token_hmac: str) -> User | None:
        with self._tx() as s:
            row = s.execute(select(User, Session.expires_at).join(Session, Session.user_id == User.id)
                            .where(Session.token_hmac == token_hmac)).first()
        if row is None or row[0].disabled or row[1] < now():
            return None
        return row[0]

    def close_session(self, token_hmac: str, actor: str) -> None:
        with self._tx() as s:
            found = s.scalar(select(Session).where(Session.token_hmac == token_hmac))
            if found is not None:
                s.delete(found)
                self._audit(s, actor, "logout", "user", found.user_id)

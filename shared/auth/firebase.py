"""Verifying people's Firebase Authentication ID tokens with firebase-admin.

A person signs in with Firebase Authentication (the console, ``switchyard login``) and sends
the ID token it got as ``Authorization: Bearer <ID token>``. :meth:`FirebaseIdTokens.verify`
checks its signature, audience (the project), issuer and expiry (firebase-admin's
``verify_id_token``), and, with ``check_revoked=True``, reads the user record so that a token
issued before ``auth.revoke_refresh_tokens`` or held by a disabled user is refused at once:
https://firebase.google.com/docs/auth/admin/manage-sessions#detect_id_token_revocation. That
read costs one Identity Toolkit call per request; it is what makes revocation effective before
the token's hour is up.

On the local stack firebase-admin talks to the Auth emulator named by
``FIREBASE_AUTH_EMULATOR_HOST`` (and accepts its unsigned tokens); the app comes from
:func:`shared.gcp_clients.firebase_app`.
"""

from __future__ import annotations

from dataclasses import dataclass

import firebase_admin
from firebase_admin import auth, exceptions

from shared.errors import NotFoundError, TransientError, UnauthenticatedError


@dataclass(frozen=True)
class FirebaseUser:
    """Who an ID token names.

    Attributes:
        uid: The Firebase user id.
        email: The user's email, when the token carries one.
    """

    uid: str
    email: str | None


class FirebaseIdTokens:
    """Checks ID tokens and looks people up, with one firebase-admin app.

    Args:
        app: The process's firebase-admin app (:func:`shared.gcp_clients.firebase_app`).
    """

    def __init__(self, app: firebase_admin.App) -> None:
        self._app = app

    def verify(self, token: str) -> FirebaseUser:
        """The person a valid, unrevoked ID token of an enabled user names.

        Args:
            token: The ID token as sent (a JWT).

        Returns:
            The token's user.

        Raises:
            UnauthenticatedError: Code ``id_token_expired``, ``id_token_revoked``,
                ``user_disabled``, or ``invalid_id_token`` (malformed, wrong signature,
                audience or issuer, or a deleted user).
            TransientError: Code ``firebase_auth_unavailable``: the signing keys or the user
                record could not be fetched.
        """
        try:
            claims = auth.verify_id_token(token, app=self._app, check_revoked=True)
        except auth.ExpiredIdTokenError:
            raise UnauthenticatedError("id_token_expired", "the ID token has expired") from None
        except auth.RevokedIdTokenError:
            raise UnauthenticatedError(
                "id_token_revoked", "the ID token has been revoked: sign in again"
            ) from None
        except auth.UserDisabledError:
            raise UnauthenticatedError("user_disabled", "the user account is disabled") from None
        except (auth.InvalidIdTokenError, auth.UserNotFoundError, ValueError):
            raise UnauthenticatedError("invalid_id_token", "the ID token is not valid") from None
        except (auth.CertificateFetchError, exceptions.FirebaseError) as error:
            raise TransientError(
                "firebase_auth_unavailable", "Firebase Authentication cannot be reached"
            ) from error
        return FirebaseUser(uid=str(claims["uid"]), email=claims.get("email"))

    def uid_for_email(self, email: str) -> str:
        """The uid of the user with ``email``.

        Raises:
            NotFoundError: Code ``user_not_found``.
            TransientError: Code ``firebase_auth_unavailable``.
        """
        try:
            return str(auth.get_user_by_email(email, app=self._app).uid)
        except (auth.UserNotFoundError, ValueError):
            raise NotFoundError("user_not_found", "no user has that email") from None
        except exceptions.FirebaseError as error:
            raise TransientError(
                "firebase_auth_unavailable", "Firebase Authentication cannot be reached"
            ) from error

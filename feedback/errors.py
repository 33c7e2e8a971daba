"""The small family of errors services raise; web/errors.py maps them to 404/403/400."""


class ServiceError(Exception):
    """A domain rule refused the action; the message is fit to show a user."""

    status = 400


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Invalid(ServiceError):
    status = 400

"""gunicorn settings for the web workers: `gunicorn -c python:feedback.gunicorn_conf -w 4 "feedback:create_app()"`.

Options given on the command line win over these defaults.
"""

from feedback.server import warm_up

worker_class = "gthread"
threads = 2
timeout = 120


def post_worker_init(worker) -> None:
    warm_up(worker.wsgi)

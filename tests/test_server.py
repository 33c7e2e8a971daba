"""The web worker's warm-up: every template compiled before the first request, the start-up heap frozen."""

import subprocess
import sys

WARM = """
import gc
from feedback import create_app
from feedback.server import warm_up
app = create_app()
templates = app.jinja_env.list_templates(extensions=("html", "txt"))
before = len(app.jinja_env.cache)
warm_up(app)
print(before, len(app.jinja_env.cache), len(templates), gc.get_freeze_count())
"""


def test_a_web_worker_compiles_every_template_and_freezes_its_start_up_heap(tmp_path):
    env = {"FEEDBACK_INSTANCE_PATH": str(tmp_path), "FEEDBACK_LOG_JSON": "false", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", WARM], capture_output=True, text=True, env=env, check=True)
    before, cached, templates, frozen = (int(n) for n in done.stdout.split())
    assert before == 0 and templates > 40 and cached >= templates
    assert frozen > 50_000  # the app's objects now live outside the collector's generations

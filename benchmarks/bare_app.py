"""A truly bare Flask app: one route that returns "hello", no hooks, no session, no headers added.

benchmarks/serve.py serves it with the same gunicorn command and worker count as the quiz,
on another port, as the reference the quiz's pages are measured against.
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"

"""The FastAPI application: API, pages, static files, errors and security in one place."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from rrall._version import __version__
from rrall.assessment import NOTICE
from rrall.knowledge.load import KnowledgeBase, default_knowledge
from rrall.release.shelf import Shelf
from rrall.store.db import open_engine, upgrade
from rrall.store.releases import Releases
from rrall.store.repository import Repository
from rrall.web import api, cds, errors, meetings, pages, releases
from rrall.web.auth import FailedLogins, LoginRequired, password_check_limiter
from rrall.web.cdsauth import CdsClients
from rrall.web.openapi import openapi_schema
from rrall.web.security import SecurityMiddleware
from rrall.web.settings import Settings
from rrall.web.workbench import Workbench

HERE = Path(__file__).parent


def templates() -> Environment:
    from rrall.report.html import HERE as REPORTS
    from rrall.report.html import human, install_words

    env = Environment(loader=ChoiceLoader([FileSystemLoader(HERE / "templates"),
                                           FileSystemLoader(REPORTS / "templates")]),
                      autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(notice=NOTICE, engine_version=__version__)
    install_words(env)
    env.tests["date_text"] = is_date_text
    env.filters.update(human=human, ref=lambda c: f"/references#ref-{c}", fid=field_id,
                       singular=lambda s: s[:-1] if s.endswith("s") else s)
    return env


def is_date_text(value: object) -> bool:
    """A real calendar date written YYYY-MM-DD (what a date input can show unchanged)."""
    from datetime import date

    try:
        return isinstance(value, str) and len(value) == 10 and bool(date.fromisoformat(value))
    except ValueError:
        return False


def field_id(name: str) -> str:
    """An HTML id from a field path: relapses[0].date -> f-relapses-0-date."""
    return "f-" + name.replace("[", "-").replace("]", "").replace(".", "-")


class CurrentRelease:
    """Before a request, looks for a knowledge release installed since the last look (at most
    every few seconds, in a worker thread: a database read, and loading the release once)."""

    def __init__(self, app: ASGIApp, workbench: Workbench) -> None:
        self.app, self.workbench = app, workbench

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.workbench.due():
            await run_in_threadpool(self.workbench.follow_releases)
        await self.app(scope, receive, send)


def create_app(settings: Settings, kb: KnowledgeBase | None = None) -> FastAPI:
    """`kb`: the knowledge base new assessments use; by default the newest release installed
    with `rrall knowledge install`, else the bundled one (kept under RRALL_HOME too, so its
    assessments stay reproducible after an upgrade of rrall)."""
    engine = open_engine(settings.database_url)
    upgrade(engine)
    repo = Repository(engine)
    shelf = Shelf()
    follows, active = kb is None, None
    if kb is None:
        active = Releases(repo).active()
        if active is None:
            shelf.keep_bundled()
        kb = shelf.load(active.version, active.manifest_sha256) if active else default_knowledge()
    app = FastAPI(title="rrall workbench API", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
                  redirect_slashes=False,
                  description="Decision support for relapsed and refractory childhood ALL. " + NOTICE)
    app.state.settings = settings
    app.state.repo = repo
    app.state.workbench = Workbench(repo, kb, shelf, follows_releases=follows,
                                    release_id=active.id if active else None)
    app.state.templates = templates()
    app.state.failed_logins = FailedLogins()
    app.state.password_checks = password_check_limiter()
    app.state.cds_clients = CdsClients.from_file(settings.cds_clients)
    errors.install(app)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(meetings.router)
    app.include_router(releases.router)
    app.include_router(cds.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if settings.allowed_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins,
                           allow_methods=["GET", "POST", "PUT"],
                           allow_headers=["authorization", "content-type"])
    app.add_middleware(CurrentRelease, workbench=app.state.workbench)
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.max_body_bytes,
                       secure=settings.secure_cookies)
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
    return app

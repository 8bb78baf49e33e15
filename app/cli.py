"""The ``makker`` command: serve, migrate, create-key (and the jobs: rematch, worker)."""

from __future__ import annotations

import gc
import os
import sys
from datetime import datetime, timedelta
from typing import Annotated

import typer

from app import clock

cli = typer.Typer(
    help="Makker: volunteer-newcomer matching.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback's local variables can hold people's names: never print them.
    pretty_exceptions_show_locals=False,
)


#: Set by :func:`main`: the command runs as its own process (not inside a test's runner), so
#: ``makker solve`` may end it at once when done.
_ending_process = False


def _database_url() -> str:
    # Imported here: pydantic-settings costs a fifth of a second that `makker solve` skips.
    from app.config import get_settings

    return get_settings().database_url


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", envvar="PORT")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (one per core uses them all).")
    ] = 1,
) -> None:
    """Serve the API with uvicorn (and, unless turned off, the run worker and the sender).

    MAKKER_EMBEDDED_WORKER=false and MAKKER_EMBEDDED_SENDER=false turn them off.
    """
    import uvicorn

    from app.main import serving_app

    if workers == 1:
        uvicorn.run(serving_app(), host=host, port=port, access_log=False, log_config=None)
        return
    # Several processes need the app by name: each worker builds its own (and its own pool).
    uvicorn.run(
        "app.main:serving_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
    )


@cli.command()
def migrate() -> None:
    """Migrate the database (MAKKER_DATABASE_URL) to the newest schema."""
    from app.migrate import upgrade

    upgrade(_database_url())
    typer.echo("Database migrated to head.", err=True)


@cli.command("create-key")
def create_key(
    role: Annotated[str, typer.Option(help="admin, coordinator or association.")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    association_id: Annotated[int | None, typer.Option(help="For an association key.")] = None,
    municipality: Annotated[
        list[str] | None, typer.Option(help="For a coordinator key; repeatable.")
    ] = None,
) -> None:
    """Create an API key and print it alone on standard output (shown only once)."""
    from app.api_keys.service import create_key_from_cli
    from app.errors import AppError

    try:
        key = create_key_from_cli(
            _database_url(),
            role=role,
            name=name,
            association_id=association_id,
            municipalities=municipality or [],
        )
    except (AppError, ValueError) as exc:
        typer.echo(f"create-key: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(key)


@cli.command()
def invite(
    email: Annotated[str, typer.Option(help="The person's e-mail address.")],
    role: Annotated[str, typer.Option(help="admin, coordinator or association.")],
    municipality: Annotated[
        list[str] | None, typer.Option(help="For a coordinator; repeatable.")
    ] = None,
    association_id: Annotated[int | None, typer.Option(help="For an association.")] = None,
) -> None:
    """Invite a person to the desk; prints a one-time link to choose a password with."""
    from app.accounts.service import invite_from_cli
    from app.config import get_settings
    from app.errors import AppError

    try:
        link = invite_from_cli(
            get_settings(),
            email=email,
            role=role,
            association_id=association_id,
            municipalities=municipality or [],
        )
    except (AppError, ValueError) as exc:
        typer.echo(f"invite: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(link)


@cli.command("reset-link")
def reset_link(
    email: Annotated[str, typer.Option(help="The account's e-mail address.")],
) -> None:
    """Print a one-time link to choose a new password (earlier reset links stop working)."""
    from app.accounts.service import reset_link_from_cli
    from app.config import get_settings
    from app.errors import AppError

    try:
        link = reset_link_from_cli(get_settings(), email=email)
    except AppError as exc:
        typer.echo(f"reset-link: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(link)


@cli.command()
def solve(
    problem: Annotated[str, typer.Argument(help="Problem JSON file (shared/design/MATCHING.md).")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the Solution JSON here.")
    ] = None,
) -> None:
    """Solve a problem file exactly; Solution JSON on stdout, a summary on stderr."""
    from matching.io import run_solve

    status = run_solve(problem, output)
    if _ending_process:
        # Freeing the problem's and the solution's millions of objects one by one on the way
        # out took half a second at 30,000 newcomers; all is written, so the process ends.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    raise typer.Exit(status)


@cli.command()
def purge(
    ended_before: Annotated[
        datetime,
        typer.Option(
            "--ended-before",
            formats=["%Y-%m-%d"],
            help="Retention cut-off date (YYYY-MM-DD, not in the future).",
        ),
    ],
    dry_run: Annotated[bool, typer.Option(help="Count only; delete nothing.")] = False,
) -> None:
    """Delete records past retention, in one transaction, and print the counts.

    Deleted:
    - matches ended, rejected or superseded before DATE;
    - inactive newcomers and mentors, unchanged since before DATE, whose every match closed
    before it (with their matches and unmatched-request rows);
    - unmatched-request rows of runs started before DATE, except the latest applied run's;
    - Idempotency-Keys past MAKKER_IDEMPOTENCY_TTL_HOURS (expired; creates do not sweep);
    - notifications delivered before DATE (or failed and written before it).

    Kept: open matches, active people, runs (anonymous counts), the audit log, notifications
    still to deliver.
    """
    from app.config import get_settings
    from app.gdpr.service import run_purge

    if ended_before.date() > clock.today():
        typer.echo("--ended-before must not be in the future", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    counts = run_purge(
        settings.database_url,
        ended_before.date(),
        dry_run=dry_run,
        key_ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )
    for line in counts.lines():
        typer.echo(line)
    typer.echo("Dry run: nothing deleted." if dry_run else "Purged.", err=True)


@cli.command()
def rematch(
    dry_run: Annotated[bool, typer.Option(help="Compute and report; write no proposals.")] = False,
    pause_at: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run the matcher over the stored data (the nightly job); one progress line per phase.

    Exit status 0 on success, 1 when the run failed, 3 when another writing run is in
    progress (dry runs never block it).
    """
    from app.jobs.command import run_rematch_command

    raise typer.Exit(run_rematch_command(_database_url(), dry_run=dry_run, pause_at=pause_at))


@cli.command()
def worker(
    once: Annotated[bool, typer.Option(help="Execute the queued runs, then exit.")] = False,
    poll: Annotated[float, typer.Option(min=0.1, help="Seconds between looks at the queue.")] = 2.0,
    pause_at: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Execute queued match runs (POST /api/v1/match-runs) until stopped.

    For several API replicas: set MAKKER_EMBEDDED_WORKER=false on them and run one or more
    workers; they share the database's queue. SIGTERM stops after the run in progress.
    """
    from app.jobs.command import run_worker_command

    raise typer.Exit(
        run_worker_command(_database_url(), once=once, poll_seconds=poll, pause_at=pause_at)
    )


@cli.command()
def send(
    pause_after: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Deliver the notification outbox once (for cron), then exit; counts as JSON on stdout.

    Writes today's digests of waiting proposals, then delivers every due notification over
    SMTP (MAKKER_SMTP_URL) or the associations' webhooks, retrying later what failed.
    """
    from app.config import get_settings
    from app.notify.command import run_send_command

    raise typer.Exit(run_send_command(get_settings(), pause_after=pause_after))


@cli.command("seed-demo")
def seed_demo(
    newcomers: Annotated[int, typer.Option(min=0, help="Newcomers to add.")] = 400,
    mentors: Annotated[int, typer.Option(min=0, help="Mentors to add.")] = 250,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed, the same people.")] = 0,
) -> None:
    """Add a synthetic, clearly fake data set (benchmark distributions, common names)."""
    from app.demo.up import NotMigrated, run_seed

    try:
        counts = run_seed(_database_url(), newcomers=newcomers, mentors=mentors, seed=seed)
    except NotMigrated as exc:
        typer.echo(f"seed-demo: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"Seeded {counts.newcomers} newcomers, {counts.mentors} mentors, "
        f"{counts.associations} new associations.",
        err=True,
    )


@cli.command("demo-up")
def demo_up(
    newcomers: Annotated[int, typer.Option(min=0, help="Newcomers when seeding.")] = 400,
    mentors: Annotated[int, typer.Option(min=0, help="Mentors when seeding.")] = 250,
    force: Annotated[
        bool, typer.Option("--force", help="Run even if the database holds non-demo people.")
    ] = False,
) -> None:
    """Migrate, seed the demo set when the database is empty, rematch, print an admin key.

    Progress goes to standard error; standard output gets one line, ``Admin key: <key>``.
    A database holding people the demo seeder did not add is refused (exit 2) without
    ``--force``: no key is minted and no proposal written.
    """
    from app.demo.up import NotADemo
    from app.demo.up import demo_up as run_demo_up

    try:
        key = run_demo_up(_database_url(), newcomers=newcomers, mentors=mentors, force=force)
    except NotADemo as exc:
        typer.echo(f"demo-up: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Admin key: {key}")


def main() -> None:
    """Entry point of the ``makker`` console script.

    A database that is down, missing or busy is one line on standard error (exit 1), not a
    traceback.

    On the way out every object left is frozen (``gc.freeze``): the interpreter's shutdown
    runs the cyclic collector over all of them several times, which after a ``makker
    rematch`` (some 200,000 objects of numba, SQLAlchemy, pydantic) took a second of wall
    time after the job was done. Frozen, they are still freed as the modules are cleared;
    only reference cycles among them are left to the process's exit.
    """
    global _ending_process
    _ending_process = True
    try:
        cli()
    except Exception as exc:
        reason = _database_unavailable(exc)
        if reason is None:
            raise
        typer.echo(f"makker: the database is not available: {reason}", err=True)
        raise SystemExit(1) from None
    finally:
        gc.freeze()


def _database_unavailable(exc: BaseException) -> str | None:
    # SQLAlchemy is loaded only when a command used the database (`makker solve` never does).
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.engine import make_url

    from app.db import unavailable

    if isinstance(exc, FileNotFoundError) and isinstance(exc.filename, str):
        # A file beside a SQLite database (the run's lock file) in a directory that is gone.
        database = make_url(_database_url()).database or ""
        if database and exc.filename.startswith(os.path.abspath(database)):
            return "its directory does not exist"
    return unavailable(exc)
